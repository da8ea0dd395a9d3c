"""The sealing part's block of the settings: the keys that seal personal data on its way to Temporal (the payload
key ring) and in the store (the key-encryption key (KEK) that wraps every citizen's data key, the secret of the
keyed hash that finds a citizen's key by CPR), the throw-away setups that may go without them, and the retention
rule that decides when a citizen's key is destroyed.

`activities.runtime.settings.Settings` composes it with the other parts' blocks.
"""

from __future__ import annotations

import binascii
from base64 import b64decode
from datetime import date

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings

from activities.platform.startup_checks import StartupError
from activities.sealing.citizen_keys import CitizenKeyConfig, citizen_key_config
from activities.sealing.payload_codec import KEY_FORMAT, KeyRingError, PayloadKey, parse_key_ring

LOOKUP_SECRET_MIN_BYTES = 32


class RetentionRule(BaseModel):
    """How long a case's record is kept after it ended, for cases that ended on or after `valid_from`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    valid_from: date
    years: int = Field(ge=1, le=100)
    source: str = Field(min_length=1, max_length=200)


# Journalføringsbekendtgørelsen §15 stk. 2 (autorisationsloven §25): records of physiotherapists, occupational
# therapists and other authorised professionals are kept at least 5 years (stps.dk, "journalopbevaring").
# The date from which this applies is not confirmed here, so the rule is configuration (RETENTION_RULES).
DEFAULT_RETENTION_RULES: tuple[RetentionRule, ...] = (
    RetentionRule(valid_from=date(1970, 1, 1), years=5, source="journalføringsbekendtgørelsen §15 stk. 2"),
)


class CitizenKeySettings(BaseSettings):
    payload_encryption_keys: SecretStr | None = Field(
        default=None,
        description=f"AES-256 keys for Temporal payloads, `{KEY_FORMAT}`: the first encrypts, all decrypt. "
        "Unset: the worker and the API refuse to start unless ALLOW_UNENCRYPTED_PAYLOADS is true "
        "(`python -m deploy.local` makes a local key instead)",
    )
    allow_unencrypted_payloads: bool = Field(
        default=False,
        description="Let the worker and the API start without PAYLOAD_ENCRYPTION_KEYS, sending CPR numbers and "
        "names to Temporal in clear: only for tests and a throw-away development server",
    )
    citizen_kek_keys: SecretStr | None = Field(
        default=None,
        description=f"Key-encryption keys that wrap every citizen's data key, `{KEY_FORMAT}`: the first wraps new "
        "keys, all unwrap (rotation). Unset: the worker and the API refuse to start unless "
        "ALLOW_EPHEMERAL_CITIZEN_KEYS is true (`python -m deploy.local` makes a local key instead)",
    )
    citizen_lookup_secret: SecretStr | None = Field(
        default=None,
        description=f"Base64 of at least {LOOKUP_SECRET_MIN_BYTES} random bytes: the HMAC key that turns a CPR "
        "number into the look-up hash of its citizen key and of the access log. Never rotated in place (the "
        "hashes already stored are made with it)",
    )
    allow_ephemeral_citizen_keys: bool = Field(
        default=False,
        description="Let a process without CITIZEN_KEK_KEYS make a random KEK and look-up secret in memory, lost "
        "when it exits (so is every citizen key it wrapped): only for tests and a throw-away development server. "
        "ALLOW_UNENCRYPTED_PAYLOADS=true allows it too",
    )
    retention_rules: tuple[RetentionRule, ...] = Field(
        default=DEFAULT_RETENTION_RULES,
        min_length=1,
        description="JSON list of {valid_from, years, source}: a case is kept `years` after it ended, by the rule "
        "in force on the day it ended; after that (and without a hold) its citizen's key is destroyed",
    )
    retention_sweep_batch_size: int = Field(default=200, ge=1, le=10_000)
    retention_sweep_hour_utc: int = Field(default=2, ge=0, le=23, description="Hour of the daily retention sweep")

    @field_validator("citizen_kek_keys")
    @classmethod
    def _valid_kek_ring(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            try:
                parse_key_ring(value.get_secret_value())
            except KeyRingError as err:
                raise ValueError(f"CITIZEN_KEK_KEYS: {err}") from None
        return value

    @field_validator("citizen_lookup_secret")
    @classmethod
    def _valid_lookup_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            try:
                secret = b64decode(value.get_secret_value().strip(), validate=True)
            except (binascii.Error, ValueError):
                raise ValueError("CITIZEN_LOOKUP_SECRET is not valid base64") from None
            if len(secret) < LOOKUP_SECRET_MIN_BYTES:
                raise ValueError(f"CITIZEN_LOOKUP_SECRET must hold at least {LOOKUP_SECRET_MIN_BYTES} bytes")
        return value

    @field_validator("retention_rules")
    @classmethod
    def _distinct_dates(cls, value: tuple[RetentionRule, ...]) -> tuple[RetentionRule, ...]:
        if len({rule.valid_from for rule in value}) != len(value):
            raise ValueError("RETENTION_RULES: two rules start on the same day")
        return tuple(sorted(value, key=lambda rule: rule.valid_from))

    @field_validator("payload_encryption_keys")
    @classmethod
    def _valid_key_ring(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            try:
                parse_key_ring(value.get_secret_value())
            except KeyRingError as err:
                raise ValueError(f"PAYLOAD_ENCRYPTION_KEYS: {err}") from None
        return value

    @property
    def payload_keys(self) -> list[PayloadKey]:
        """The payload key ring (encrypting key first); empty when PAYLOAD_ENCRYPTION_KEYS is unset."""
        if self.payload_encryption_keys is None:
            return []
        return parse_key_ring(self.payload_encryption_keys.get_secret_value())

    def require_payload_keys(self) -> list[PayloadKey]:
        """The key ring, or StartupError when it is empty and ALLOW_UNENCRYPTED_PAYLOADS is not true: a process
        that sends payloads to Temporal must not send CPR numbers and names in clear by accident."""
        keys = self.payload_keys
        if not keys and not self.allow_unencrypted_payloads:
            raise StartupError(
                "PAYLOAD_ENCRYPTION_KEYS is not set, so CPR numbers and names would reach Temporal unencrypted. "
                "Set it (`python -m activities.sealing.payload_codec` prints a key), or "
                "ALLOW_UNENCRYPTED_PAYLOADS=true for a throw-away development server"
            )
        return keys

    def require_citizen_keys(self) -> CitizenKeyConfig:
        """The KEK and look-up secret, or StartupError naming the missing setting (one line, no value)."""
        return citizen_key_config(
            self.citizen_kek_keys.get_secret_value() if self.citizen_kek_keys else None,
            self.citizen_lookup_secret.get_secret_value() if self.citizen_lookup_secret else None,
            # ALLOW_UNENCRYPTED_PAYLOADS marks the same throw-away setup (tests, a scratch server): it allows this too.
            allow_ephemeral=self.allow_ephemeral_citizen_keys or self.allow_unencrypted_payloads,
        )

    def retention_rule_on(self, ended_on: date) -> RetentionRule:
        """The rule in force on the day a case ended (the earliest rule for a case older than every rule)."""
        in_force = [rule for rule in self.retention_rules if rule.valid_from <= ended_on]
        return in_force[-1] if in_force else self.retention_rules[0]
