"""The start-guarantee report as CSV and as an HTML page for a leader: Danish, self-contained, no script.

The page says what is measured, by which law, for which period and as of when, shows each municipality's chart
(api.pages.start_guarantee_chart) beside its table with the counts next to every share, and explains each reason.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from html import escape

from api.models.start_guarantee import StartGuaranteeReport
from api.pages.start_guarantee_chart import MONTHS_DA, chart_svg, month_label, percent
from workflows.domain.guarantee.reasons import REASON_ORDER
from workflows.domain.guarantee.tally import Figures, MunicipalityFigures
from workflows.domain.model import Level

_LEVELS_DA = {
    None: "almen genoptræning og rehabilitering på specialiseret niveau",
    Level.ALMEN: "almen genoptræning",
    Level.REHABILITERING_SPECIALISERET: "rehabilitering på specialiseret niveau",
}
_CSV_COUNTS = ("in_scope", "kept", "missed", "pending", "ended_early")


def report_csv(report: StartGuaranteeReport) -> str:
    """One row per municipality and month, then its period; one column per reason (KL's, then `unexplained`)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180
    writer.writerow(["municipality_code", "month", *_CSV_COUNTS, "share_kept", *(f"missed_{r}" for r in REASON_ORDER)])
    for municipality in report.municipalities:
        for figures in [*municipality.months, municipality.period]:
            counts = [getattr(figures, name) for name in _CSV_COUNTS]
            share = "" if figures.share_kept is None else f"{figures.share_kept:.4f}"
            reasons = [figures.misses_by_reason.get(reason, 0) for reason in REASON_ORDER]
            writer.writerow([municipality.municipality_code, figures.month or "period", *counts, share, *reasons])
    return out.getvalue()


def _day_da(day: date) -> str:
    return f"{day.day}. {MONTHS_DA[day.month - 1]}. {day.year}"


def _reasons_text(figures: Figures, labels: dict[str, str]) -> str:
    if not figures.misses_by_reason:
        return ""
    return ", ".join(f"{escape(labels.get(r, r))}: {n}" for r, n in figures.misses_by_reason.items())


def _row(figures: Figures, labels: dict[str, str], first_cell: str) -> str:
    cells = [
        first_cell,
        str(figures.in_scope),
        str(figures.kept),
        str(figures.missed),
        f"<strong>{percent(figures.share_kept)}</strong> ({figures.kept} af {figures.kept + figures.missed})",
        str(figures.pending),
        str(figures.ended_early),
        _reasons_text(figures, labels),
    ]
    return "<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>"


_HEAD = (
    "<tr><th>{first}</th><th>Planer</th><th>Start tilbudt inden for 7 dage</th><th>Ikke inden for 7 dage</th>"
    "<th>Andel inden for 7 dage</th><th>Fristen løber endnu</th><th>Afsluttet før fristen</th>"
    "<th>Årsager (KL)</th></tr>"
)


def _municipality(figures: MunicipalityFigures, labels: dict[str, str], with_cases: bool) -> str:
    code = escape(figures.municipality_code)
    rows = [_row(month, labels, escape(month_label(month.month or ""))) for month in figures.months]
    rows.append(_row(figures.period, labels, "<strong>Hele perioden</strong>").replace("<tr>", '<tr class="sum">'))
    parts = [
        f'<section class="municipality"><h2>Kommune {code}</h2>',
        chart_svg(
            figures.months, f"Startgaranti for kommune {code}: andel af planer med start tilbudt inden for 7 dage"
        ),
        f"<table><thead>{_HEAD.format(first='Måned')}</thead><tbody>{''.join(rows)}</tbody></table>",
    ]
    missed = figures.period.missed_plans
    if with_cases and missed:
        items = "".join(
            f"<li><code>{escape(m.case_id)}</code>: {escape(labels.get(m.reason, m.reason))}</li>" for m in missed
        )
        parts.append(f"<details><summary>Sager uden start inden for 7 dage ({len(missed)})</summary><ul>{items}</ul>")
        parts.append("</details>")
    parts.append("</section>")
    return "".join(parts)


_STYLE = """
body{font-family:sans-serif;margin:2rem;color:#222;max-width:1500px}
h1{font-size:1.6rem;margin-bottom:.2rem} .lead{font-size:1.05rem;margin-top:.2rem}
.grid{display:flex;flex-wrap:wrap;gap:2rem} .municipality{flex:1 1 720px;max-width:760px}
table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.9rem} td,th{border:1px solid #ccc;padding:.25rem .5rem}
th{background:#f2f2f2;text-align:left} td{text-align:right} td:first-child,td:last-child{text-align:left}
tr.sum td{background:#fafafa} .about{max-width:60rem;font-size:.9rem;color:#333}
"""


def report_html(report: StartGuaranteeReport, *, with_cases: bool) -> str:
    labels = report.reason_labels
    period = f"{month_label(report.period_from.strftime('%Y-%m'))} – {month_label(report.period_to.strftime('%Y-%m'))}"
    stood = (
        f"Tallene er som de stod {escape(report.as_of.isoformat(timespec='seconds'))}"
        if report.as_of is not None
        else f"Tallene er opgjort {_day_da(report.figures_on)}"
    )
    overview = ""
    if len(report.municipalities) > 1:
        rows = "".join(_row(m.period, labels, f"Kommune {escape(m.municipality_code)}") for m in report.municipalities)
        overview = (
            "<h2>Alle kommuner, hele perioden</h2>"
            f"<table><thead>{_HEAD.format(first='Kommune')}</thead><tbody>{rows}</tbody></table>"
        )
    sections = "".join(_municipality(m, labels, with_cases) for m in report.municipalities)
    # "Udskudt" explains no miss here: the clock already counts from the later start (docs/reports.md).
    shown = [r for r in REASON_ORDER if r in labels and r != "udskudt"]
    reasons = "".join(f"<li><strong>{escape(labels[r])}</strong></li>" for r in shown)
    return f"""<!DOCTYPE html>
<html lang="da"><head><meta charset="utf-8"><title>Startgaranti for genoptræning</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>{_STYLE}</style></head>
<body>
<h1>Startgaranti: blev opstart tilbudt inden for 7 dage?</h1>
<p class="lead">Andelen af genoptræningsplaner ({escape(_LEVELS_DA[report.level])}), hvor kommunen tilbød
første aftale inden for 7 dage efter udskrivelsen – eller efter den senere opstartsdato, som planen af
sundhedsfaglige grunde angiver. Kilde: sundhedsloven § 140, stk. 4.</p>
<p><strong>Periode:</strong> {escape(period)} (måneden for udskrivelsen eller den senere opstartsdato).
{stood}.</p>
{overview}
<div class="grid">{sections or "<p>Ingen planer i perioden.</p>"}</div>
<div class="about"><h2>Sådan læses tallene</h2>
<ul>
<li><strong>Planer</strong>: planer om almen genoptræning og rehabilitering på specialiseret niveau, som kommunen
modtog. Specialiseret genoptræning foregår på sygehus og er ikke omfattet.</li>
<li><strong>Start tilbudt inden for 7 dage</strong>: første tilbudte aftale lå senest 7 dage efter udskrivelsen
(eller den senere opstartsdato). En aftale tæller, også hvis den senere blev aflyst (KL's regel).</li>
<li><strong>Andel</strong> = start inden for 7 dage ÷ (start inden for 7 dage + ikke inden for 7 dage).
Planer, hvor fristen løber endnu, og planer, der sluttede før fristen uden at noget var tilbudt
(fravalg, dødsfald, ny plan), tælles med i &quot;Planer&quot; men ikke i andelen.</li>
<li><strong>Årsager</strong> er KL's årsager til manglende opstart inden for 7 dage:</li>
</ul><ul>{reasons}</ul>
<p>&quot;Uforklaret&quot; er en plan uden nogen af KL's årsager – også når borgeren selv udsatte starten, som KL
ikke har en årsag for. Tallene kommer fra sagernes hændelser og kan altid genskabes, som de stod på et givet
tidspunkt.</p></div>
</body></html>
"""
