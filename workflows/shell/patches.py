"""`workflow.patched` for the service's workflows, free in a light run.

A workflow started light (its input's `light_shell`, set by every door since issue 18) runs every patched path
from its first task: it has no older history to stay compatible with. `workflow.patched` would still record a
marker and upsert `TemporalChangeVersion` for each patch, a billable action per patch per case; in a light run
this answers True without either. Histories started before (no `light_shell`) replay exactly as recorded.
"""

from __future__ import annotations

from temporalio import workflow


def light_run() -> bool:
    """Whether the running workflow was started light (workflow code only)."""
    return bool(getattr(workflow.instance(), "_light", False))


def patched(patch_id: str) -> bool:
    """`workflow.patched(patch_id)`, or True without a marker in a light run."""
    return light_run() or workflow.patched(patch_id)
