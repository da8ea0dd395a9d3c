"""Vocabulary of an application for training without a hospital stay."""

from __future__ import annotations

from enum import StrEnum


class LegalBasis(StrEnum):
    """What the citizen applies for: Serviceloven §86 stk. 1 or stk. 2 (danskelove.dk/serviceloven/86)."""

    STK1 = "stk1"  # genoptræning after illness not treated in connection with a hospital admission
    STK2 = "stk2"  # vedligeholdelsestræning: maintaining physical or mental skills


class CareLevel(StrEnum):
    """The legal reference as an operator filters by it (the `CareLevel` search attribute)."""

    SEL86_STK1 = "sel86_stk1"
    SEL86_STK2 = "sel86_stk2"
    AELDRELOVEN = "aeldreloven"


class ApplicationStatus(StrEnum):
    NEW = "new"  # before the application is recorded; never stored
    UNDER_ASSESSMENT = "under_assessment"  # waiting for the municipality's decision
    GRANTED = "granted"
    REFUSED = "refused"
    APPEALED = "appealed"  # the municipality reassesses (genvurdering)
    UPHELD = "upheld"  # reassessment upheld the decision: to be forwarded to Ankestyrelsen
    AT_ANKESTYRELSEN = "at_ankestyrelsen"
    CLOSED = "closed"

    @property
    def is_terminal(self) -> bool:
        return self is ApplicationStatus.CLOSED


class DecisionOutcome(StrEnum):
    GRANTED = "granted"
    REFUSED = "refused"


class DecisionBasis(StrEnum):
    """Why a decision was made: the first one, a renewal, on reassessment, or after Ankestyrelsen."""

    ASSESSMENT = "assessment"
    RENEWAL = "renewal"
    REASSESSMENT = "reassessment"
    AFTER_ANKESTYRELSEN = "after_ankestyrelsen"


class ReassessmentOutcome(StrEnum):
    UPHELD = "upheld"
    CHANGED = "changed"


class AnkestyrelsenOutcome(StrEnum):
    UPHELD = "upheld"  # stadfæstet
    CHANGED = "changed"  # ændret: the municipality records the changed decision
    RETURNED = "returned"  # hjemvist: the municipality makes a new decision


class CaseworkerCloseReason(StrEnum):
    """Why a caseworker closes an application."""

    WITHDRAWN_BY_CITIZEN = "withdrawn_by_citizen"
    DECEASED = "deceased"
    OTHER = "other"


class ApplicationCloseReason(StrEnum):
    """Every way an application ends: a caseworker's reason, or one the application's clock records."""

    WITHDRAWN_BY_CITIZEN = "withdrawn_by_citizen"
    DECEASED = "deceased"
    OTHER = "other"
    GRANT_PERIOD_ENDED = "grant_period_ended"
    REFUSAL_NOT_APPEALED = "refusal_not_appealed"
    REFUSAL_UPHELD_BY_ANKESTYRELSEN = "refusal_upheld_by_ankestyrelsen"


class ApplicationDeadlineKind(StrEnum):
    GP_REPLY = "gp_reply"
    APPEAL_PERIOD = "appeal_period"
    ANKESTYRELSEN_FORWARDING = "ankestyrelsen_forwarding"
    GRANT_PERIOD = "grant_period"
