"""The reasons a start was not offered within 7 days, in the order the start-guarantee report shows them.

KL Gateway Rehab IG 2.2.0 (ServiceRequest.statusReason, "årsag til manglende aktivitet inden for 7-dages
fristen"): the service's `GuaranteeStatusReason` values, then `unexplained` for a miss with none of them. KL's
codes and Danish names for them live in one table, `activities.kl_gateway.codes.STATUS_REASON`.
"""

from __future__ import annotations

from workflows.domain.guarantee.facts import UNEXPLAINED
from workflows.domain.model import GuaranteeStatusReason

REASON_ORDER: tuple[str, ...] = (*(reason.value for reason in GuaranteeStatusReason), UNEXPLAINED)
