"""The pytest plugin's own tests, run by tests/test_plugin.py under
pytest-xdist with two workers (`-p emulator.testing.plugin -n 2`)."""

from __future__ import annotations

import pytest

from emulator.testing import ControlError, Emulator, TestTenant


def test_session_emulator_is_ready(call_emulator):
    assert isinstance(call_emulator, Emulator)
    assert call_emulator.control.ready()
    assert call_emulator.heppu_url == call_emulator.trillet_url == call_emulator.url


def test_tenant_has_both_vendors_and_a_frozen_clock(emulator_tenant):
    assert isinstance(emulator_tenant, TestTenant)
    control = emulator_tenant.control
    for tenant in emulator_tenant.ids:
        clock = control.clock(tenant)
        assert clock.own and clock.mode == "manual" and clock.now == "2025-01-06T09:00:00.000Z"
    assert emulator_tenant.advance("90s") == "2025-01-06T09:01:30.000Z"
    assert control.clock(emulator_tenant.workspace_id).now == "2025-01-06T09:01:30.000Z"
    assert control.clock().own is False  # the global clock did not move with it


@pytest.mark.emulator_now("2031-03-04T05:06:07Z")
def test_marker_sets_the_start(emulator_tenant):
    assert emulator_tenant.now() == "2031-03-04T05:06:07.000Z"


@pytest.mark.parametrize("n", range(6))
def test_tenants_are_isolated(emulator_tenant, n):
    # Each test leaves a fault rule behind for its own tenant only; no other
    # test ever sees it, in whatever order and on whichever worker they run.
    call = emulator_tenant.create_call("heppu", contactPhone="+15005550001")
    assert emulator_tenant.heppu.get(f"/api/v1/calls/{call.id}").status_code == 200
    emulator_tenant.fault("heppu", status=500)
    assert emulator_tenant.heppu.get(f"/api/v1/calls/{call.id}").status_code == 500
    journal = emulator_tenant.journal()
    assert [e.status for e in journal] == [200, 500]
    assert {e.tenant for e in journal} == {emulator_tenant.org_id}
    ids = {c.id for c in emulator_tenant.control.calls(tenant=emulator_tenant.org_id)}
    assert ids == {call.id}


def test_trillet_side(emulator_tenant):
    call = emulator_tenant.create_call("trillet", contactPhone="+15005550001")
    emulator_tenant.advance("10s")
    r = emulator_tenant.trillet.get(f"/v2/api/active-calls/{call.plan.room}")
    assert r.status_code == 200 and r.json()["roomName"] == call.plan.room
    emulator_tenant.act(call.id, "hangup")
    assert emulator_tenant.trillet.get(f"/v2/api/active-calls/{call.plan.room}").status_code == 404


def test_control_errors_raise(emulator_tenant):
    with pytest.raises(ControlError) as err:
        emulator_tenant.act("call_nope", "answer")
    assert err.value.status == 404 and "call_nope" in err.value.message
    with pytest.raises(ControlError) as err:
        emulator_tenant.advance("-1s")
    assert err.value.status == 400
