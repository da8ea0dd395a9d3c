"""The decider's public face: `decide`, its rejections, and the plan helpers the shell needs."""

from workflows.domain.decisions import CommandRejected, Rejection, decide, plan_fingerprint, recipients_to_serve

__all__ = ["CommandRejected", "Rejection", "decide", "plan_fingerprint", "recipients_to_serve"]
