"""The pilot's front door: passcode checks and lock-outs, without a browser."""

from __future__ import annotations

import pytest

import access
import settings


@pytest.fixture
def gate(monkeypatch):
    monkeypatch.setattr(settings, "PILOT_PASSCODE", "tide-pool-42")
    now = [1000.0]
    gate = access.Gate(clock=lambda: now[0])
    gate.now = now  # the test moves time by hand
    return gate


def test_the_right_passcode_opens_and_a_wrong_one_does_not(gate):
    assert gate.check("1.2.3.4", "tide-pool-42")
    assert not gate.check("1.2.3.4", "tide-pool-4")
    assert not gate.check("1.2.3.4", "")


def test_repeated_failures_lock_one_client_out_for_a_while(gate):
    for _ in range(settings.PASSCODE_MAX_FAILURES):
        assert not gate.check("1.2.3.4", "guess")
    assert gate.locked_for("1.2.3.4") == pytest.approx(settings.PASSCODE_LOCKOUT_SECONDS)
    assert not gate.check("1.2.3.4", "tide-pool-42"), "locked even with the right passcode"
    assert gate.check("5.6.7.8", "tide-pool-42"), "another client is not locked"
    gate.now[0] += settings.PASSCODE_LOCKOUT_SECONDS
    assert gate.locked_for("1.2.3.4") == 0
    assert gate.check("1.2.3.4", "tide-pool-42")


@pytest.mark.parametrize(
    ("auth", "passcode", "expected"),
    [(True, "x", access.OIDC), (False, "x", access.PASSCODE), (False, "", access.LOCAL)],
)
def test_the_mode_follows_the_configuration(monkeypatch, auth, passcode, expected):
    monkeypatch.setattr(settings, "PILOT_PASSCODE", passcode)
    assert access.mode(auth) == expected


def test_no_passcode_configured_admits_nobody_by_passcode(monkeypatch):
    monkeypatch.setattr(settings, "PILOT_PASSCODE", "")
    assert not access.Gate().check("1.2.3.4", "")


@pytest.mark.parametrize(
    ("forwarded", "ip", "client"),
    [
        ("203.0.113.9", None, "203.0.113.9"),
        # A client can prepend any hops it likes; the proxy appends the one it saw.
        ("198.51.100.1, 203.0.113.9", "127.0.0.1", "203.0.113.9"),
        (None, "192.0.2.7", "192.0.2.7"),
        ("", None, None),
        (None, None, None),
    ],
)
def test_the_client_is_the_address_the_proxy_saw(forwarded, ip, client):
    assert access.client_from(forwarded, ip) == client
