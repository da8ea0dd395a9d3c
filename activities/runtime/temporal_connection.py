"""One way to connect to Temporal, used by the worker, the API and the operational commands.

Where the refusal to run unencrypted sits: in `connect_temporal`, which only processes call (the worker, the
API's production lifespan, `deploy.local`, the operational commands). Without PAYLOAD_ENCRYPTION_KEYS it
raises `StartupError` unless ALLOW_UNENCRYPTED_PAYLOADS is true. Not in `Settings`, which tests build without
keys, nor in `data_converter_for`, which tests and replayers use with plain settings on purpose.
"""

from __future__ import annotations

import dataclasses
import logging

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes
from temporalio.service import TLSConfig

from activities.platform.tracing import temporal_tracing_plugin
from activities.runtime.settings import Settings
from activities.sealing.payload_codec import EncryptionCodec

logger = logging.getLogger("genoptraening.temporal")
_warned_unencrypted = False


def payload_codec_for(settings: Settings) -> EncryptionCodec | None:
    """The payload encryption codec of PAYLOAD_ENCRYPTION_KEYS, or None when it is unset."""
    keys = settings.payload_keys
    return EncryptionCodec(keys) if keys else None


def data_converter_for(settings: Settings) -> DataConverter:
    """The converter for every client, worker and replayer of these settings: pydantic, plus encryption
    when PAYLOAD_ENCRYPTION_KEYS is set. Without keys it warns once per process that payloads are plaintext."""
    global _warned_unencrypted
    codec = payload_codec_for(settings)
    if codec is None:
        if not _warned_unencrypted:
            _warned_unencrypted = True
            logger.warning(
                "PAYLOAD_ENCRYPTION_KEYS is not set: workflow payloads (CPR numbers, names) are stored in "
                "Temporal unencrypted. See 'Personal data in Temporal' in deploy/README.md"
            )
        return pydantic_data_converter
    # Failure messages and stack traces go through the codec too: a message may name what a command was about.
    return dataclasses.replace(
        pydantic_data_converter,
        payload_codec=codec,
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


def tls_config(settings: Settings) -> TLSConfig | bool:
    """TLS from the PEM files in the settings; plain TLS with the system roots when only an API key is set."""
    if settings.temporal_tls_ca is None and settings.temporal_tls_cert is None and settings.temporal_tls_key is None:
        return settings.temporal_api_key is not None
    if (settings.temporal_tls_cert is None) != (settings.temporal_tls_key is None):
        raise ValueError("TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY must be set together")
    return TLSConfig(
        server_root_ca_cert=settings.temporal_tls_ca.read_bytes() if settings.temporal_tls_ca else None,
        client_cert=settings.temporal_tls_cert.read_bytes() if settings.temporal_tls_cert else None,
        client_private_key=settings.temporal_tls_key.read_bytes() if settings.temporal_tls_key else None,
        domain=settings.temporal_tls_server_name,
    )


async def connect_temporal(settings: Settings, *, lazy: bool = False, sends_payloads: bool = True) -> Client:
    """A client for `settings.temporal_namespace` with `data_converter_for(settings)` (the same on every side).

    `lazy` connects on first use instead of now (the API: it must start and answer 503 during an outage).
    Raises `StartupError` without payload keys, unless ALLOW_UNENCRYPTED_PAYLOADS is true. `sends_payloads=False`
    is for a command that only speaks to the operator service (registering search attributes): it sends no
    workflow payload, so it needs no payload key and is told nothing about them."""
    if sends_payloads:
        settings.require_payload_keys()
    converter = data_converter_for(settings) if sends_payloads else pydantic_data_converter
    api_key = settings.temporal_api_key.get_secret_value() if settings.temporal_api_key else None
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=converter,
        tls=tls_config(settings),
        api_key=api_key,
        lazy=lazy,
        plugins=[temporal_tracing_plugin()],  # the trace goes on into Updates, workflow tasks and activities
    )
