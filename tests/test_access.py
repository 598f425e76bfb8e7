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


@pytest.fixture
def staffed(gate, monkeypatch):
    monkeypatch.setattr(settings, "STAFF_PASSCODES", " agent:ag-1 , lead:ld-1,author:au-1")
    return gate


def test_each_passcode_admits_its_own_role_and_nothing_more(staffed):
    assert staffed.check("1.2.3.4", "tide-pool-42") == access.CUSTOMER
    assert staffed.check("1.2.3.4", "ag-1") == access.AGENT
    assert staffed.check("1.2.3.4", "ld-1") == access.LEAD
    assert staffed.check("1.2.3.4", "au-1") == access.AUTHOR
    assert staffed.check("1.2.3.4", "ag-1 ") is None, "exactly, not nearly"
    assert staffed.check("1.2.3.4", "agent:ag-1") is None


def test_staff_passcodes_share_the_lock_out(staffed):
    for _ in range(settings.PASSCODE_MAX_FAILURES):
        assert staffed.check("1.2.3.4", "guess") is None
    assert staffed.check("1.2.3.4", "ld-1") is None, "a staff passcode is locked out too"


def test_only_known_staff_roles_with_a_passcode_are_read(caplog):
    found = access.staff_passcodes("agent:a1,customer:c1,boss:b1,lead:,author:x:y, ,")
    assert found == {"a1": access.AGENT, "x:y": access.AUTHOR}
    assert "c1" not in caplog.text and "b1" not in caplog.text, "never a passcode in the log"
    assert "'boss'" in caplog.text


def test_staff_passcodes_alone_still_guard_the_page(monkeypatch):
    monkeypatch.setattr(settings, "PILOT_PASSCODE", "")
    monkeypatch.setattr(settings, "STAFF_PASSCODES", "agent:a1")
    assert access.mode(False) == access.PASSCODE
    assert access.Gate().check("1.2.3.4", "") is None


def test_signed_in_roles_come_from_emails_or_whole_domains():
    table = {"agent": ["acme.example"], "lead": ["Lee@Acme.example"], "author": "ann@ink.example"}
    assert access.roles_for("sam@acme.example", table) == {access.CUSTOMER, access.AGENT}
    assert access.roles_for("lee@acme.example", table) == {
        access.CUSTOMER,
        access.AGENT,
        access.LEAD,
    }
    assert access.roles_for("ann@ink.example", table) == {access.CUSTOMER, access.AUTHOR}
    assert access.roles_for("eve@acme.example.evil", table) == {access.CUSTOMER}
    assert access.roles_for("x@sub.acme.example", table) == {access.CUSTOMER}, "exact domain"
    assert access.roles_for(None, table) == {access.CUSTOMER}
    assert access.roles_for("sam@acme.example", {"customer": ["acme.example"]}) == {access.CUSTOMER}


@pytest.mark.parametrize(
    ("roles", "pages"),
    [
        ({access.CUSTOMER}, {"chat"}),
        ({access.AGENT}, {"chat", "desk"}),
        ({access.LEAD}, {"chat", "desk", "insights"}),
        ({access.AUTHOR}, {"chat", "lab"}),
        (set(), {"chat"}),
    ],
)
def test_which_role_opens_which_page(roles, pages):
    opened = {
        p for p in ("chat", "desk", "insights", "lab") if access.may_open(frozenset(roles), p)
    }
    assert opened == pages
