"""`decide(state, command, now) -> events`: every business decision of a case, with no I/O and no clock.

A command the state does not allow raises `CommandRejected`; the workflow's update validators call the
same function, so a rejected command never reaches the history or the event store. The rules are
grouped by the part of the course they govern; importing the modules registers them.
"""

from workflows.domain.decisions import casework, course, ending, intake, messages, start
from workflows.domain.decisions.core import CommandRejected, Rejection, decide
from workflows.domain.decisions.intake import plan_fingerprint, recipients_to_serve

__all__ = [
    "CommandRejected",
    "Rejection",
    "casework",
    "course",
    "decide",
    "ending",
    "intake",
    "messages",
    "plan_fingerprint",
    "recipients_to_serve",
    "start",
]
