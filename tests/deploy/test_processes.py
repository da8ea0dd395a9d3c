"""`deploy.processes.port_in_use`: the check behind `make run`'s "is in use (set …)" on every address form."""

from __future__ import annotations

import socket

import pytest

from deploy.processes import port_in_use


def test_a_listening_port_is_in_use_on_its_address_and_through_the_wildcard() -> None:
    with socket.create_server(("127.0.0.1", 0)) as sock:
        port = int(sock.getsockname()[1])
        assert port_in_use("127.0.0.1", port) and port_in_use("0.0.0.0", port) and port_in_use("localhost", port)
    assert not port_in_use("127.0.0.1", port)


def test_an_ipv6_address_is_checked_not_refused() -> None:
    try:
        sock = socket.create_server(("::1", 0), family=socket.AF_INET6)
    except OSError:
        pytest.skip("no IPv6 loopback here")
    with sock:
        port = int(sock.getsockname()[1])
        assert port_in_use("::1", port) and port_in_use("[::1]", port) and port_in_use("::", port)
    assert not port_in_use("::1", port)
