"""A letter as the PDF the citizen gets (fpdf2: pure Python, so `make run` needs nothing from the OS)."""

from __future__ import annotations

from datetime import UTC, datetime, time

from fpdf import FPDF

from activities.messaging.letters.texts import Letter, danish_date

# The PDF core fonts are Latin-1; Danish fits, and anything else (a name in another script) is shown as '?'
# rather than failing the letter.
_ENCODING = "latin-1"


def _printable(text: str) -> str:
    return text.replace("\u2013", "-").replace("\u2014", "-").encode(_ENCODING, "replace").decode(_ENCODING)


def render_pdf(letter: Letter) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_title(_printable(letter.title))
    pdf.set_author(_printable(letter.sender))
    # The letter's own date, not the clock: rendering the same letter again gives the same bytes.
    pdf.set_creation_date(datetime.combine(letter.written_on, time(12), tzinfo=UTC))
    pdf.set_margins(25, 25, 25)
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    pdf.multi_cell(0, 5, _printable(letter.sender), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.multi_cell(0, 5, _printable(f"Til {letter.citizen_name}"), new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(0, 5, _printable(danish_date(letter.written_on)), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("Helvetica", style="B", size=14)
    pdf.multi_cell(0, 7, _printable(letter.title), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    for paragraph in letter.paragraphs:
        heading = paragraph == "Sådan klager du"
        pdf.set_font("Helvetica", style="B" if heading else "", size=12 if heading else 11)
        pdf.multi_cell(0, 6, _printable(paragraph), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    pdf.ln(4)
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, _printable(f"Med venlig hilsen\n{letter.sender}"), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
