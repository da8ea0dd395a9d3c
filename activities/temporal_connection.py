"""One way to connect to Temporal, used by the worker, the API and the operational commands."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import TLSConfig

from activities.settings import Settings


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


async def connect_temporal(settings: Settings) -> Client:
    """A client for `settings.temporal_namespace` with the pydantic data converter (the same on every side)."""
    api_key = settings.temporal_api_key.get_secret_value() if settings.temporal_api_key else None
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=pydantic_data_converter,
        tls=tls_config(settings),
        api_key=api_key,
    )
