"""The text of each letter, in plain Danish. Pure: the facts come in, the words go out.

Each letter names the rule that makes the municipality write it. The words are kept short and concrete
(the citizen's situation, what they may do, whom to contact); a municipality may reword them here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from workflows.domain.calendar import danish_date
from workflows.domain.messaging.model import MessageKind

__all__ = ["DECISIONS", "Letter", "LetterSender", "danish_date", "decision", "first_contact", "free_choice"]


@dataclass(frozen=True)
class LetterSender:
    """Who writes: the municipality's full name, and its address and contact lines (docs/medcom.md, "Letters")."""

    name: str
    address: tuple[str, ...] = ()
    contact: tuple[str, ...] = ()


# Only an afgørelse goes as a legal notification (MeMo legalNotification): forvaltningsloven kap. 6 (§§ 22-25)
# gives decisions their begrundelse and klagevejledning; the other letters inform and decide nothing.
DECISIONS = frozenset({MessageKind.LETTER_DECISION})


@dataclass(frozen=True)
class Letter:
    kind: MessageKind
    title: str
    citizen_name: str
    written_on: date
    paragraphs: tuple[str, ...]
    sender: LetterSender
    reference: str  # the case's reference as the citizen quotes it ("Sagsnr. ...")

    @property
    def legal_notification(self) -> bool:
        return self.kind in DECISIONS


def first_contact(
    citizen_name: str, sender: LetterSender, reference: str, written_on: date, discharge_date: date
) -> Letter:
    # BEK om genoptræningsplaner kapitel 2 (sst.dk "Frit valg af genoptræningstilbud"): at the first contact
    # the home municipality tells the citizen which providers they may choose among.
    return Letter(
        kind=MessageKind.LETTER_FIRST_CONTACT,
        title="Vi har modtaget din genoptræningsplan",
        citizen_name=citizen_name,
        written_on=written_on,
        sender=sender,
        reference=reference,
        paragraphs=(
            f"Sygehuset har sendt os din genoptræningsplan fra udskrivelsen den {danish_date(discharge_date)}. "
            "Genoptræningen er gratis for dig.",
            "Du kan selv vælge, hvor du vil træne:",
            "- hos kommunens egne genoptræningstilbud eller de private tilbud, kommunen har aftale med,",
            "- hos en anden kommunes eget genoptræningstilbud. Den anden kommune kan sige nej, hvis den ikke har "
            "plads.",
            "Du kan ikke vælge de private tilbud, som en anden kommune har aftale med.",
            "Vi kontakter dig snart for at aftale, hvornår din genoptræning begynder. Fortæl os gerne, hvor du "
            "vil træne.",
        ),
    )


def free_choice(
    citizen_name: str, sender: LetterSender, reference: str, written_on: date, guarantee_due_on: date
) -> Letter:
    # Sundhedsloven §140 stk. 4: no start offered within 7 days of discharge (or of the later date the plan
    # names), so the citizen may choose a private provider KL has an agreement with (stk. 5).
    return Letter(
        kind=MessageKind.LETTER_FREE_CHOICE,
        title="Du kan nu vælge en privat genoptræning",
        citizen_name=citizen_name,
        written_on=written_on,
        sender=sender,
        reference=reference,
        paragraphs=(
            "Vi har ikke kunnet tilbyde dig at begynde din genoptræning inden for 7 dage efter udskrivelsen "
            f"(senest den {danish_date(guarantee_due_on)}).",
            "Derfor har du nu ret til at vælge en privat leverandør af genoptræning, som KL har indgået aftale "
            "med. Du finder leverandørerne på www.mingenoptræning.dk.",
            "Kommunen betaler din genoptræning hos den private leverandør.",
            "Du kan også vælge at vente på kommunens eget tilbud. Giv os besked om, hvad du vælger.",
            "Reglen står i sundhedslovens § 140, stk. 4.",
        ),
    )


def decision(
    citizen_name: str,
    sender: LetterSender,
    reference: str,
    written_on: date,
    *,
    granted: bool,
    citation: str,
    period: tuple[date, date] | None,
    reason: str | None,
    appeal_text: str,
) -> Letter:
    # A written afgørelse with its legal basis and klagevejledning (Serviceloven §86; ast.dk klagevejledning;
    # retssikkerhedsloven §§ 66-67 [§ numbers UNCERTAIN, domain-notes §6]).
    if granted and period is not None:
        outcome = (
            f"Du får bevilget genoptræning fra den {danish_date(period[0])} til den {danish_date(period[1])}. "
            "Træningen er gratis for dig."
        )
        title = "Afgørelse: Du får bevilget genoptræning"
    else:
        outcome = "Du får ikke bevilget genoptræning."
        title = "Afgørelse: Du får ikke bevilget genoptræning"
    paragraphs = [outcome, f"Afgørelsen er truffet efter {citation}."]
    if reason:
        paragraphs.append(f"Begrundelse: {reason}")
    # The klagevejledning as the decision event carries it (workflows/domain/applications/deadlines.appeal_guidance).
    paragraphs += ["Sådan klager du", appeal_text]
    return Letter(
        kind=MessageKind.LETTER_DECISION,
        title=title,
        citizen_name=citizen_name,
        written_on=written_on,
        sender=sender,
        reference=reference,
        paragraphs=tuple(paragraphs),
    )
