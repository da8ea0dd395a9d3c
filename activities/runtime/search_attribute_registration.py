"""Register the case workflow's custom search attributes on a namespace (idempotent).

Works against the Java test server, the dev server and a self-hosted cluster through the operator
service. Run it once per namespace before the first worker starts:

    python -m activities.runtime.search_attribute_registration

It sends no workflow payload, so it needs no PAYLOAD_ENCRYPTION_KEYS. (A cluster operator can instead run
`temporal operator search-attribute create`, see deploy/README.md.)
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest
from temporalio.client import Client
from temporalio.common import SearchAttributeKey
from temporalio.service import RPCError, RPCStatusCode

from activities.platform.startup_checks import StartupError
from activities.runtime.observability_settings import ObservabilitySettings
from activities.runtime.settings import Settings
from workflows.shell.search_attributes import ALL_SEARCH_ATTRIBUTES

logger = logging.getLogger(__name__)
SERVICE = "genoptraening-cli"


async def _registered(client: Client, namespace: str) -> dict[str, IndexedValueType.ValueType] | None:
    """Name -> indexed value type of the attributes already known, or None if the server can't list them."""
    try:
        response = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=namespace)
        )
    except RPCError as err:
        if err.status == RPCStatusCode.UNIMPLEMENTED:
            return None
        raise
    return {**dict(response.system_attributes), **dict(response.custom_attributes)}


async def ensure_search_attributes(
    client: Client,
    namespace: str,
    keys: Iterable[SearchAttributeKey[Any]] = ALL_SEARCH_ATTRIBUTES,
) -> list[str]:
    """Add the attributes in `keys` that `namespace` lacks; return the names added.

    Raises RuntimeError when an attribute exists with another type (that needs an operator's decision).
    """
    wanted = {key.name: IndexedValueType.ValueType(int(key.indexed_value_type)) for key in keys}
    registered = await _registered(client, namespace)
    if registered is not None:
        clashes = [
            f"{name} is {IndexedValueType.Name(registered[name])}, wanted {IndexedValueType.Name(kind)}"
            for name, kind in wanted.items()
            if name in registered and registered[name] != kind
        ]
        if clashes:
            raise RuntimeError(f"Search attributes with the wrong type on namespace {namespace!r}: {clashes}")
        wanted = {name: kind for name, kind in wanted.items() if name not in registered}
    if not wanted:
        return []
    added = await _add(client, namespace, wanted)
    if added is None:  # some exist already (a server that can't list them): add them one at a time
        added = [name for name, kind in wanted.items() if await _add(client, namespace, {name: kind})]
    if added:
        logger.info("Registered search attributes on %s: %s", namespace, ", ".join(sorted(added)))
    return sorted(added)


async def _add(client: Client, namespace: str, attributes: dict[str, IndexedValueType.ValueType]) -> list[str] | None:
    """Add `attributes`; their names, or None if the server says (one of) them already exists."""
    try:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=namespace, search_attributes=attributes)
        )
    except RPCError as err:
        if err.status != RPCStatusCode.ALREADY_EXISTS:
            raise
        return None
    return list(attributes)


async def _register(settings: Settings) -> None:
    from activities.runtime.temporal_connection import connect_temporal

    client = await connect_temporal(settings, sends_payloads=False)  # no payloads: no payload key needed
    added = await ensure_search_attributes(client, settings.temporal_namespace)
    logger.info(
        "Namespace %s at %s: %s",
        settings.temporal_namespace,
        settings.temporal_address,
        f"added {', '.join(added)}" if added else "all search attributes already registered",
    )


def main() -> int:
    """`python -m activities.runtime.search_attribute_registration` and `genoptraening register-search-attributes`:
    0 done, 1 Temporal unreachable or refusing, 2 a setting is invalid. Needs no payload key."""
    from activities.runtime.process_observability import start_observability
    from activities.runtime.startup_settings import TEMPORAL_TLS, refuse_to_start, startup_settings

    try:
        settings = startup_settings([TEMPORAL_TLS], model=Settings, blocks=(ObservabilitySettings,))
    except StartupError as err:
        return refuse_to_start(SERVICE, "cannot register search attributes", err)
    start_observability(SERVICE, settings.log_level, traced=False)
    try:
        asyncio.run(_register(settings))
    except RPCError as err:  # e.g. no operator permission on a managed cluster
        logger.error("cannot register search attributes: Temporal answered %s", err.status.name)
        return 1
    except RuntimeError as err:  # the SDK's "Failed client connect" (the address, no credentials), a type clash
        logger.error("cannot register search attributes: %s", " ".join(str(err).split()))
        return 1
    return 0


def run_as_process() -> None:
    """`main`, then leave as the worker does (`activities.runtime.process_exit`): the client started the SDK's
    runtime."""
    from activities.runtime.process_exit import run_and_leave

    run_and_leave(main, "search attribute registration")


if __name__ == "__main__":
    run_as_process()
