"""The payload encryption codec, its key ring, the settings that carry it and the local key file."""

from __future__ import annotations

import base64
import logging
import stat
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError
from temporalio.api.common.v1 import Payload
from temporalio.api.failure.v1 import Failure
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ApplicationError

from activities.runtime import temporal_connection
from activities.runtime.settings import Settings
from activities.sealing.payload_codec import (
    ENCRYPTED_ENCODING,
    KEY_ID_KEY,
    EncryptionCodec,
    KeyRingError,
    PayloadDecryptionError,
    parse_key_ring,
)
from deploy.local import PAYLOAD_KEYS_FILE, StartupError, codec_endpoint, local_payload_keys
from deploy.temporal_dev_server import dev_server_argv
from tests.support.encryption_helpers import CURRENT_KEY, OLD_KEY, encrypting_settings
from tests.support.factories import SYNTHETIC_CPR, make_plan


def codec(*entries: str) -> EncryptionCodec:
    return EncryptionCodec(parse_key_ring(",".join(entries)))


def plan_payload() -> Payload:
    """A plan as the pydantic converter sends it: JSON with the CPR number and the name in clear."""
    [payload] = pydantic_data_converter.payload_converter.to_payloads([make_plan()])
    assert SYNTHETIC_CPR.encode() in payload.data
    return payload


async def test_round_trip_restores_the_payload_and_hides_its_content() -> None:
    payload = plan_payload()
    ring = codec(CURRENT_KEY)
    [encrypted] = await ring.encode([payload])
    assert encrypted.metadata["encoding"] == ENCRYPTED_ENCODING
    assert encrypted.metadata[KEY_ID_KEY] == b"test-current"
    assert SYNTHETIC_CPR.encode() not in encrypted.SerializeToString()
    assert b"Testesen" not in encrypted.SerializeToString()
    assert await ring.decode([encrypted]) == [payload]  # metadata (json/plain encoding) included


async def test_every_payload_gets_its_own_nonce() -> None:
    payload = plan_payload()
    first, second = await codec(CURRENT_KEY).encode([payload, payload])
    assert first.data[:12] != second.data[:12]
    assert first.data != second.data


async def test_a_plain_payload_passes_decode_unchanged() -> None:
    # What histories recorded before encryption hold.
    payload = plan_payload()
    assert await codec(CURRENT_KEY).decode([payload]) == [payload]


async def test_rotation_the_first_key_encrypts_and_every_key_decrypts() -> None:
    payload = plan_payload()
    [under_old] = await codec(OLD_KEY).encode([payload])
    rotated = codec(CURRENT_KEY, OLD_KEY)
    assert await rotated.decode([under_old]) == [payload]
    [under_new] = await rotated.encode([payload])
    assert under_new.metadata[KEY_ID_KEY] == b"test-current"
    with pytest.raises(PayloadDecryptionError, match="key id 'test-current'"):
        await codec(OLD_KEY).decode([under_new])  # the old ring alone cannot read the new key's payloads


async def test_an_unknown_key_id_is_an_error_not_a_pass_through() -> None:
    [encrypted] = await codec(OLD_KEY).encode([plan_payload()])
    with pytest.raises(PayloadDecryptionError, match=r"key id 'test-old'.*configured: test-current"):
        await codec(CURRENT_KEY).decode([encrypted])


async def test_a_wrong_key_under_a_known_id_or_tampered_data_does_not_decrypt() -> None:
    [encrypted] = await codec(CURRENT_KEY).encode([plan_payload()])
    impostor = codec("test-current:" + base64.b64encode(bytes(32)).decode())
    with pytest.raises(PayloadDecryptionError, match="does not authenticate"):
        await impostor.decode([encrypted])
    tampered = Payload(metadata=encrypted.metadata, data=encrypted.data[:-1] + bytes([encrypted.data[-1] ^ 1]))
    with pytest.raises(PayloadDecryptionError, match="does not authenticate"):
        await codec(CURRENT_KEY).decode([tampered])


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "no key given"),
        ("c2VjcmV0", "no key id"),
        (":" + base64.b64encode(bytes(32)).decode(), "key id must be"),
        ("k1:not base64!", "'k1' is not valid base64"),
        ("k1:" + base64.b64encode(bytes(16)).decode(), "'k1' is 16 bytes; AES-256 needs 32"),
        (f"k1:{base64.b64encode(bytes(32)).decode()},k1:{base64.b64encode(bytes(32)).decode()}", "appears twice"),
    ],
)
def test_a_malformed_key_list_is_refused_clearly(value: str, message: str) -> None:
    with pytest.raises(KeyRingError, match=message):
        parse_key_ring(value)


def test_settings_refuse_bad_keys_without_echoing_them() -> None:
    secret = base64.b64encode(b"0123456789abcdef").decode()  # 16 bytes: too short for AES-256
    with pytest.raises(ValidationError) as error:
        Settings(payload_encryption_keys=SecretStr(f"k1:{secret}"))
    assert "PAYLOAD_ENCRYPTION_KEYS: key 'k1' is 16 bytes" in str(error.value)
    assert secret not in str(error.value)


def test_settings_parse_the_ring_in_order() -> None:
    settings = encrypting_settings(CURRENT_KEY, OLD_KEY)
    assert [key.key_id for key in settings.payload_keys] == ["test-current", "test-old"]
    assert CURRENT_KEY.split(":")[1] not in repr(settings)
    assert Settings().payload_keys == []


def test_the_data_converter_encrypts_only_with_keys(caplog: pytest.LogCaptureFixture) -> None:
    converter = temporal_connection.data_converter_for(encrypting_settings())
    assert isinstance(converter.payload_codec, EncryptionCodec)
    assert converter.payload_converter_class is pydantic_data_converter.payload_converter_class

    temporal_connection._warned_unencrypted = False
    with caplog.at_level(logging.WARNING, logger="genoptraening.temporal"):
        assert temporal_connection.data_converter_for(Settings()) is pydantic_data_converter
        temporal_connection.data_converter_for(Settings())
    assert [record.levelname for record in caplog.records] == ["WARNING"]  # once per process
    assert "unencrypted" in caplog.text


def test_local_key_file_is_created_once_private_and_reused(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="deploy.local"):
        first = local_payload_keys(tmp_path)
    path = tmp_path / PAYLOAD_KEYS_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    [key] = parse_key_ring(first)
    assert key.key_id.startswith("local-")
    assert first.split(":")[1] not in caplog.text  # the key material never reaches the log
    assert local_payload_keys(tmp_path) == first  # a restart keeps the key
    assert [p.name for p in tmp_path.iterdir()] == [PAYLOAD_KEYS_FILE]  # no temporary file left behind

    path.write_text("local-1:broken\n")
    with pytest.raises(StartupError, match=f"{PAYLOAD_KEYS_FILE}: key 'local-1' is not valid base64"):
        local_payload_keys(tmp_path)


def test_the_dev_server_gets_the_codec_endpoint_of_the_api() -> None:
    assert codec_endpoint(Settings(api_host="0.0.0.0", api_port=8001)) == "http://127.0.0.1:8001/codec"
    argv = dev_server_argv(Path("temporal"), Path("t.sqlite"), "default", codec_endpoint(Settings()))
    assert argv[argv.index("--ui-codec-endpoint") + 1] == "http://127.0.0.1:8000/codec"
    assert "--ui-codec-endpoint" not in dev_server_argv(Path("temporal"), Path("t.sqlite"), "default")


async def test_failure_messages_and_stack_traces_are_encrypted_and_read_back() -> None:
    # A failure's message may name what a command was about; with keys it travels encrypted like payloads.
    converter = temporal_connection.data_converter_for(encrypting_settings())
    failure = Failure()
    await converter.encode_failure(ApplicationError(f"refused for {SYNTHETIC_CPR}", type="Test"), failure)
    assert SYNTHETIC_CPR.encode() not in failure.SerializeToString()
    assert failure.encoded_attributes.metadata["encoding"] == ENCRYPTED_ENCODING
    decoded = await converter.decode_failure(failure)
    assert isinstance(decoded, ApplicationError) and SYNTHETIC_CPR in decoded.message
