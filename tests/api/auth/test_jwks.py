"""Keys from the issuer's JWKS: cached, an unknown kid refetches at most once per cool-down after a successful
fetch, one shared refresh; while the issuer is unreachable an unknown kid is a 503, and its key is taken as soon
as the issuer answers again."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from fastapi import FastAPI

from api.auth.dependencies import PrincipalDep
from api.auth.errors import AuthenticationFailed, AuthenticationUnavailable
from api.auth.jwks import JwksKeys, parse_jwks
from api.auth.principal import Role
from api.auth.tokens import TokenVerifier
from api.http.problems import PROBLEM_JSON, install_problem_handlers
from tests.api.auth.test_support import JwksServer, RsaIssuer, forge


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def broker() -> RsaIssuer:
    issuer = RsaIssuer()
    issuer.add_key("k1")
    issuer.add_key("k2")
    return issuer


def verifier_with_clock(broker: RsaIssuer, clock: Clock) -> TokenVerifier:
    verifier = TokenVerifier(broker.settings(), fetch=broker.fetch)
    assert verifier.jwks is not None
    verifier.jwks._clock = clock  # the cache's clock only; PyJWT checks exp against real time
    return verifier


def unknown_kid(verifier: TokenVerifier, token: str) -> None:
    with pytest.raises(AuthenticationFailed) as caught:
        verifier.verify(token)
    assert caught.value.reason == "unknown_key"


def test_keys_are_cached_and_forged_kids_within_the_cooldown_fetch_nothing(broker: RsaIssuer) -> None:
    broker.fetches, clock = 0, Clock()
    verifier = verifier_with_clock(broker, clock)
    assert verifier.verify(broker.token("k1")).roles == {Role.CASEWORKER}
    assert verifier.verify(broker.token("k2")).subject == "u1"
    assert broker.fetches == 1
    clock.now += 30
    for n in range(50):
        unknown_kid(verifier, broker.token(f"forged-{n}", key_of="k1"))
    assert broker.fetches == 1  # the burst never reached the issuer
    clock.now += 31  # the cool-down has passed: one unknown kid may ask again, and only one
    for n in range(50):
        unknown_kid(verifier, broker.token(f"forged-{n}", key_of="k1"))
    assert broker.fetches == 2


def test_a_rotated_key_is_picked_up_after_the_cooldown() -> None:
    broker, clock = RsaIssuer(), Clock()
    broker.add_key("old")
    verifier = verifier_with_clock(broker, clock)
    verifier.verify(broker.token("old"))
    broker.add_key("new")
    clock.now += 10
    unknown_kid(verifier, broker.token("new"))  # the first fetch was 10 s ago: no refetch yet
    assert broker.fetches == 1
    clock.now += 51
    assert verifier.verify(broker.token("new")).subject == "u1"
    assert broker.fetches == 2


def test_the_cache_expires(broker: RsaIssuer) -> None:
    broker.fetches, clock = 0, Clock()
    verifier = verifier_with_clock(broker, clock)
    verifier.verify(broker.token("k1"))
    clock.now += 299
    verifier.verify(broker.token("k1"))
    assert broker.fetches == 1
    clock.now += 2
    verifier.verify(broker.token("k1"))
    assert broker.fetches == 2


def test_concurrent_callers_share_one_refresh(broker: RsaIssuer) -> None:
    calls: list[float] = []

    def slow_fetch(url: str, timeout: float) -> bytes:
        calls.append(time.monotonic())
        time.sleep(0.2)
        return broker.jwks()

    keys = JwksKeys(
        "https://x/jwks", ("RS256",), cache_seconds=300, cooldown_seconds=60, timeout_seconds=1, fetch=slow_fetch
    )
    start = threading.Barrier(20)

    def look_up(kid: str) -> str:
        start.wait()
        try:
            keys.key(kid)
            return "found"
        except AuthenticationFailed as err:
            return err.reason

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(look_up, ["k1"] * 10 + [f"forged-{n}" for n in range(10)]))
    assert len(calls) == 1
    assert results == ["found"] * 10 + ["unknown_key"] * 10


def test_an_unreachable_issuer(broker: RsaIssuer) -> None:
    clock, up = Clock(), {"value": False}

    def flaky(url: str, timeout: float) -> bytes:
        if not up["value"]:
            raise TimeoutError("timed out")
        return broker.jwks()

    keys = JwksKeys(
        "https://x/jwks",
        ("RS256",),
        cache_seconds=300,
        cooldown_seconds=60,
        timeout_seconds=1,
        fetch=flaky,
        clock=clock,
    )
    with pytest.raises(AuthenticationUnavailable):  # no key ever fetched: 503, not a verdict on the token
        keys.key("k1")
    up["value"] = True
    clock.now += 60
    keys.key("k1")
    up["value"] = False
    clock.now += 400  # expired cache, issuer down again: the keys we have stay in use
    assert keys.key("k1").key is not None
    assert keys.fetches == 3


def test_the_jwks_cannot_bring_in_symmetric_keys_or_refused_algorithms(broker: RsaIssuer) -> None:
    document = json.loads(broker.jwks())
    document["keys"] += [
        {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"},
        dict(document["keys"][0], kid="hs", alg="HS256"),
        dict(document["keys"][0], kid="enc", use="enc"),
        dict(document["keys"][0], kid="ps", alg="PS512"),
        {"kty": "RSA", "kid": "broken", "n": "!!", "e": "AQAB"},
    ]
    assert sorted(parse_jwks(json.dumps(document).encode(), ("RS256", "ES256"))) == ["k1", "k2"]


def test_a_jwk_with_its_own_alg_binds_the_token_to_it(broker: RsaIssuer) -> None:
    document = json.loads(broker.jwks())
    document["keys"][0]["alg"] = "PS256"  # k1 may only verify PS256 tokens now
    verifier = TokenVerifier(
        broker.settings(auth_algorithms="RS256,PS256"), fetch=lambda url, t: json.dumps(document).encode()
    )
    with pytest.raises(AuthenticationFailed) as caught:
        verifier.verify(broker.token("k1"))
    assert caught.value.reason == "wrong_algorithm"
    hs = forge({"alg": "HS256", "kid": "k2"}, {"sub": "x"}, hmac_secret=broker.jwks())
    with pytest.raises(AuthenticationFailed, match="wrong_algorithm"):
        verifier.verify(hs)


@pytest.fixture
def jwks_server(broker: RsaIssuer) -> Iterator[tuple[str, list[str]]]:
    """A JWKS endpoint on 127.0.0.1 that records each request's path."""
    requests: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            body = broker.jwks()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/realms/kommune/certs", requests
    finally:
        server.shutdown()
        server.server_close()


def test_over_http(broker: RsaIssuer, jwks_server: tuple[str, list[str]]) -> None:
    url, requests = jwks_server
    verifier = TokenVerifier(broker.settings(url=url))
    assert verifier.verify(broker.token("k1")).municipality_code == "101"
    assert verifier.verify(broker.token("k2")).subject == "u1"
    for n in range(50):
        with pytest.raises(AuthenticationFailed, match="unknown_key"):
            verifier.verify(broker.token(f"forged-{n}", key_of="k1"))
    assert requests == ["/realms/kommune/certs"]


def test_a_failed_fetch_does_not_hold_back_the_next(broker: RsaIssuer) -> None:
    clock, up = Clock(), {"value": True}

    def flaky(url: str, timeout: float) -> bytes:
        if not up["value"]:
            raise ConnectionRefusedError("refused")
        return broker.jwks()

    keys = JwksKeys(
        "https://x/jwks",
        ("RS256",),
        cache_seconds=300,
        cooldown_seconds=60,
        timeout_seconds=1,
        fetch=flaky,
        clock=clock,
    )
    keys.key("k1")
    up["value"], clock.now = False, clock.now + 61
    with pytest.raises(AuthenticationUnavailable):  # an unknown kid, the issuer unreachable: not a verdict
        keys.key("k2-rotated")
    assert keys.key("k1").key is not None  # the known keys keep serving
    up["value"], clock.now = True, clock.now + 1
    with pytest.raises(AuthenticationFailed, match="unknown_key"):  # asked at once: the issuer does not have it
        keys.key("k2-rotated")
    assert keys.fetches == 3
    for _ in range(20):  # and that successful fetch starts the cool-down again
        with pytest.raises(AuthenticationFailed, match="unknown_key"):
            keys.key("forged")
    assert keys.fetches == 3


def test_callers_during_a_failing_fetch_share_its_failure(broker: RsaIssuer) -> None:
    calls: list[float] = []

    def slow_failure(url: str, timeout: float) -> bytes:
        calls.append(time.monotonic())
        time.sleep(0.3)
        raise TimeoutError("timed out")

    keys = JwksKeys(
        "https://x/jwks", ("RS256",), cache_seconds=300, cooldown_seconds=60, timeout_seconds=1, fetch=slow_failure
    )
    start = threading.Barrier(20)

    def look_up(kid: str) -> str:
        start.wait()
        try:
            keys.key(kid)
            return "found"
        except AuthenticationUnavailable:
            return "unavailable"

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(look_up, [f"forged-{n}" for n in range(20)]))
    assert results == ["unavailable"] * 20
    assert len(calls) == 1  # a burst of forged kids against an unreachable issuer: one fetch, not twenty


def _whoami_app(broker: RsaIssuer, url: str) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    app.state.settings = broker.settings(
        url=url, auth_jwks_cooldown_seconds=1, auth_jwks_timeout_seconds=1, retry_after_seconds=7
    )

    @app.get("/whoami")
    def whoami(principal: PrincipalDep) -> str:
        return principal.subject

    return app


async def test_an_issuer_that_goes_away_and_comes_back_over_http() -> None:
    broker = RsaIssuer()
    broker.add_key("k1")
    server = JwksServer(broker)
    transport = httpx.ASGITransport(app=_whoami_app(broker, server.url))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:

            async def whoami(kid: str) -> httpx.Response:
                return await http.get("/whoami", headers={"Authorization": f"Bearer {broker.token(kid)}"})

            assert (await whoami("k1")).status_code == 200
            await asyncio.sleep(1.1)  # past the cool-down of that fetch: an unknown kid may ask the issuer again
            server.stop()
            broker.add_key("k2")  # the issuer rotates while the service cannot reach it
            unavailable = await whoami("k2")
            assert unavailable.status_code == 503, unavailable.text  # not 401: the token may well be good
            assert unavailable.headers["content-type"] == PROBLEM_JSON
            assert unavailable.headers["retry-after"] == "7"
            assert unavailable.json()["type"] == "urn:genoptraening:problem:authentication-unavailable"
            assert (await whoami("k1")).status_code == 200  # the key already fetched still serves
            server.start()
            assert (await whoami("k2")).status_code == 200  # at once, not after the 60 s cool-down
            assert server.requests == 2
    finally:
        server.stop()
