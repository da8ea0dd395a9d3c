"""A letter as the PDF the citizen gets (fpdf2: pure Python, so `make run` needs nothing from the OS).

The layout: the municipality's full name, address and contact lines at the top; the citizen; the date and the
case's reference on the right; the title; the text; the signature. One date style throughout
(`workflows.domain.calendar.danish_date`)."""

from __future__ import annotations

from datetime import UTC, datetime, time

from fpdf import FPDF

from activities.messaging.letters.texts import Letter, danish_date

# The PDF core fonts are Latin-1; Danish fits, and anything else (a name in another script) is shown as '?'
# rather than failing the letter.
_ENCODING = "latin-1"
_FONT = "Helvetica"


def _printable(text: str) -> str:
    return text.replace("\u2013", "-").replace("\u2014", "-").encode(_ENCODING, "replace").decode(_ENCODING)


def _lines(pdf: FPDF, lines: tuple[str, ...] | list[str], *, align: str = "L", height: float = 5) -> None:
    for line in lines:
        pdf.multi_cell(0, height, _printable(line), align=align, new_x="LMARGIN", new_y="NEXT")


def render_pdf(letter: Letter) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_title(_printable(letter.title))
    pdf.set_author(_printable(letter.sender.name))
    pdf.set_subject(_printable(letter.reference))
    # The letter's own date, not the clock: rendering the same letter again gives the same bytes.
    pdf.set_creation_date(datetime.combine(letter.written_on, time(12), tzinfo=UTC))
    pdf.set_margins(25, 25, 25)
    pdf.add_page()
    pdf.set_font(_FONT, style="B", size=10)
    _lines(pdf, [letter.sender.name])
    pdf.set_font(_FONT, size=10)
    _lines(pdf, letter.sender.address + letter.sender.contact)
    pdf.ln(4)
    if letter.citizen_name:  # none for a citizen with name and address protection (citizen-notes)
        _lines(pdf, [f"Til {letter.citizen_name}"])
    _lines(pdf, [danish_date(letter.written_on), letter.reference], align="R")
    pdf.ln(6)
    pdf.set_font(_FONT, style="B", size=14)
    _lines(pdf, [letter.title], height=7)
    pdf.ln(3)
    for paragraph in letter.paragraphs:
        heading = paragraph == "Sådan klager du"
        pdf.set_font(_FONT, style="B" if heading else "", size=12 if heading else 11)
        _lines(pdf, [paragraph], height=6)
        pdf.ln(2)
    pdf.ln(4)
    pdf.set_font(_FONT, size=11)
    _lines(pdf, ["Med venlig hilsen", letter.sender.name], height=6)
    return bytes(pdf.output())
