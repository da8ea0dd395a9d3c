"""The start-guarantee chart as inline SVG, drawn on the server: no script, no CDN, readable when printed.

Per month a stacked bar of the plans whose outcome is known (kept, missed) and those whose 7 days still run, and
the share kept as a line on its own 0-100 % axis. Every bar carries its counts and every point its share, so the
chart reads without hovering. The colours are fixed (tests find the bars by them in a screenshot).
"""

from __future__ import annotations

from html import escape

from workflows.domain.guarantee.tally import Figures

KEPT_COLOUR = "#1b7f3b"  # green: offered within 7 days
MISSED_COLOUR = "#d9822b"  # orange: not offered within 7 days
PENDING_COLOUR = "#b8c4d6"  # grey-blue: the 7 days still run
SHARE_COLOUR = "#1f3f8f"  # dark blue: the share line

MONTHS_DA = ("jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec")

_WIDTH, _HEIGHT = 720, 320
_LEFT, _RIGHT, _TOP, _BOTTOM = 56, 56, 28, 64


def month_label(key: str) -> str:
    """`2026-03` -> `mar 2026`."""
    year, month = key.split("-")
    return f"{MONTHS_DA[int(month) - 1]} {year}"


def percent(share: float | None) -> str:
    return "–" if share is None else f"{round(share * 100)} %"


def _nice_ceiling(value: int) -> int:
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000, 50000):
        if value <= step * 4:
            return step * 4 if value > 0 else 4
    return value


def chart_svg(months: list[Figures], title: str) -> str:
    """The chart of one municipality's months (`title` names it for screen readers)."""
    plot_w, plot_h = _WIDTH - _LEFT - _RIGHT, _HEIGHT - _TOP - _BOTTOM
    top_count = _nice_ceiling(max((m.kept + m.missed + m.pending for m in months), default=0))
    band = plot_w / max(len(months), 1)
    bar_w = min(band * 0.6, 60)

    def y_count(count: float) -> float:
        return _TOP + plot_h - plot_h * count / top_count

    def y_share(share: float) -> float:
        return _TOP + plot_h - plot_h * share

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_WIDTH} {_HEIGHT}" width="{_WIDTH}" '
        f'height="{_HEIGHT}" role="img" aria-label="{escape(title)}" font-family="sans-serif" font-size="12">',
        f"<title>{escape(title)}</title>",
    ]
    for tick in range(5):  # gridlines: counts on the left, shares on the right
        count = top_count * tick / 4
        y = y_count(count)
        parts.append(f'<line x1="{_LEFT}" x2="{_WIDTH - _RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e3e3e3"/>')
        parts.append(f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#444">{count:g}</text>')
        parts.append(f'<text x="{_WIDTH - _RIGHT + 6}" y="{y + 4:.1f}" fill="{SHARE_COLOUR}">{tick * 25} %</text>')
    parts.append(
        f'<text x="14" y="{_TOP + plot_h / 2:.0f}" transform="rotate(-90 14 {_TOP + plot_h / 2:.0f})" '
        'text-anchor="middle" fill="#444">Antal planer</text>'
    )
    parts.append(
        f'<text x="{_WIDTH - 10}" y="{_TOP + plot_h / 2:.0f}" transform="rotate(90 {_WIDTH - 10} '
        f'{_TOP + plot_h / 2:.0f})" text-anchor="middle" fill="{SHARE_COLOUR}">Andel inden for 7 dage</text>'
    )
    points: list[tuple[float, float, float]] = []
    for index, month in enumerate(months):
        centre = _LEFT + band * index + band / 2
        x = centre - bar_w / 2
        base = 0
        for count, colour in (
            (month.kept, KEPT_COLOUR),
            (month.missed, MISSED_COLOUR),
            (month.pending, PENDING_COLOUR),
        ):
            if count:
                top, bottom = y_count(base + count), y_count(base)
                parts.append(
                    f'<rect x="{x:.1f}" y="{top:.1f}" width="{bar_w:.1f}" height="{bottom - top:.1f}" fill="{colour}"/>'
                )
            base += count
        label = f"{month.kept}/{month.kept + month.missed}"
        parts.append(f'<text x="{centre:.1f}" y="{y_count(base) - 5:.1f}" text-anchor="middle">{label}</text>')
        parts.append(
            f'<text x="{centre:.1f}" y="{_TOP + plot_h + 18}" text-anchor="middle" fill="#222">'
            f"{escape(month_label(month.month or ''))}</text>"
        )
        if month.share_kept is not None:
            points.append((centre, y_share(month.share_kept), month.share_kept))
    if len(points) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{SHARE_COLOUR}" stroke-width="3"/>')
    for x, y, share in points:
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="{SHARE_COLOUR}"/>')
        parts.append(
            f'<text x="{x + 8:.1f}" y="{y - 8:.1f}" fill="{SHARE_COLOUR}" font-weight="bold">{percent(share)}</text>'
        )
    legend_y = _HEIGHT - 26
    legend = (
        (KEPT_COLOUR, "Start tilbudt inden for 7 dage"),
        (MISSED_COLOUR, "Ikke inden for 7 dage"),
        (PENDING_COLOUR, "Fristen løber endnu"),
    )
    x = _LEFT
    for colour, text in legend:
        parts.append(f'<rect x="{x}" y="{legend_y - 10}" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{x + 16}" y="{legend_y}">{escape(text)}</text>')
        x += 16 + 7 * len(text) + 18
    line_y = legend_y + 18  # the share line's key on a row of its own
    parts.append(
        f'<line x1="{_LEFT}" x2="{_LEFT + 20}" y1="{line_y - 4}" y2="{line_y - 4}" stroke="{SHARE_COLOUR}" '
        'stroke-width="3"/>'
    )
    parts.append(
        f'<text x="{_LEFT + 26}" y="{line_y}">Andel inden for 7 dage (tallet over søjlen: inden for 7 dage / afgjorte)'
        "</text>"
    )
    parts.append("</svg>")
    return "\n".join(parts)
