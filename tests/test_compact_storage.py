"""Compact storage: a call is stored as what its plan was drawn from (or as
its database row) and expanded through a bounded cache. Evicted plans come
back identical, whatever changed since (the agent); a data
dir written by the previous format opens and serves the same bytes; a tenant
reset, or a new baseline written over calls still undecoded, keeps the
calls readable after a restart."""

from __future__ import annotations

import dataclasses
import gc
import sqlite3

import httpx
import orjson

from emulator.testing import Emulator

from .conftest import HEPPU, TRILLET

NOW = "2025-12-01T15:30:10Z"
SUPPORT = "550e8400-e29b-41d4-a716-446655440000"
TRILLET_AGENT = "a1b2c3d4e5f6a7b8c9d0e1f2"


def _gets(http: httpx.Client, heppu_ids, trillet_ids, state: bool = True) -> list[bytes]:
    out = [http.get(f"/api/v1/calls/{i}", headers=HEPPU).content for i in heppu_ids]
    out += [http.get(f"/v2/api/call-history/{i}", headers=TRILLET).content for i in trillet_ids]
    if state:
        out.append(http.get("/_emulator/state").content)
    assert all(b'"error"' not in body[:40] for body in out), out
    return out


def _make_calls(http: httpx.Client) -> tuple[list[str], list[str]]:
    heppu, trillet = [], []
    for phone in ("+14155550199", "+14155550100"):
        r = http.post(
            "/api/v1/calls/outbound",
            headers=HEPPU,
            json={"agentId": SUPPORT, "phoneNumber": phone, "contactName": "Ada Lovelace", "metadata": {"crm": {"id": 7, "tags": ["a"]}}},
        )
        assert r.status_code == 201, r.text
        heppu.append(r.json()["data"]["id"])
    r = http.post("/v1/api/call", headers=TRILLET, json={"call_agent_id": TRILLET_AGENT, "to": "+14155550123", "dynamic_variables": {"firstName": "Grace"}})
    assert r.status_code == 200, r.text
    trillet.append(r.json()["callId"])
    return heppu, trillet


def test_evicted_plans_come_back_identical_after_the_agent_changes():
    with Emulator(clock="manual", now=NOW) as emu:
        http = httpx.Client(base_url=emu.url)
        heppu, trillet = _make_calls(http)
        emu.control.advance("2h")  # over: no longer pinned by the scheduler
        before = _gets(http, heppu, trillet, state=False)
        engine = emu._app.state.engine
        records = [engine.store.get(i) for i in heppu + trillet]
        assert not any(r._pin for r in records)
        assert all(type(r._src) is tuple for r in records)  # stored as recipes, not plans
        gc.collect()
        assert not any(gc.is_tracked(r._src) for r in records)  # which full collections no longer walk
        plans = [r.plan for r in records]
        # The agent is renamed: that may not reach a call made before.
        tenant = engine.tenants.get(engine.store.get(heppu[0]).tenant)
        old = tenant.agent(SUPPORT)
        agents = tuple(dataclasses.replace(a, name="Renamed") if a.id == SUPPORT else a for a in tenant.agents)
        engine.tenants.add(dataclasses.replace(tenant, agents=agents))
        assert engine.tenants.get(tenant.id).agent(SUPPORT).name == "Renamed" != old.name

        engine.store.plans.clear()
        engine.bodies.clear()
        redrawn = [r.plan for r in records]
        assert redrawn == plans and all(a is not b for a, b in zip(redrawn, plans))
        engine.bodies.clear()
        assert _gets(http, heppu, trillet, state=False) == before


def test_the_cache_stays_bounded():
    with Emulator(clock="manual", now=NOW) as emu:
        engine = emu._app.state.engine
        engine.store.plans.size = 3
        http = httpx.Client(base_url=emu.url)
        ids = []
        for _ in range(6):
            r = http.post("/api/v1/calls/outbound", headers=HEPPU, json={"agentId": SUPPORT, "phoneNumber": "+14155550199"})
            ids.append(r.json()["data"]["id"])
        first = [http.get(f"/api/v1/calls/{i}", headers=HEPPU).content for i in ids]
        engine.bodies.clear()
        assert len(engine.store.plans) <= 3
        assert [http.get(f"/api/v1/calls/{i}", headers=HEPPU).content for i in ids] == first
        assert len(engine.store.plans) <= 3


def _to_format_1(path) -> None:
    """Rewrite a data dir as the previous format wrote it: plans inside the
    call.created data, no detail column, user_version 1."""
    db = sqlite3.connect(path / "state.sqlite3")
    rows = db.execute("SELECT seq, data, detail FROM changes WHERE kind = 'call.created'").fetchall()
    for seq, _, detail in rows:
        db.execute("UPDATE changes SET data = ? WHERE seq = ?", (orjson.dumps({"plan": orjson.loads(detail)}), seq))
    db.execute("ALTER TABLE changes DROP COLUMN detail")
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()


def test_a_data_dir_of_the_previous_format_opens_and_serves_the_same_bytes(tmp_path):
    with Emulator(mode="subprocess", data_dir=str(tmp_path), clock="manual", now=NOW, startup_timeout=90) as emu:
        http = httpx.Client(base_url=emu.url)
        heppu, trillet = _make_calls(http)
        emu.control.advance("40s")
        before = _gets(http, heppu, trillet)
    _to_format_1(tmp_path)
    with Emulator(mode="subprocess", data_dir=str(tmp_path), startup_timeout=90) as emu:
        http = httpx.Client(base_url=emu.url)
        assert _gets(http, heppu, trillet) == before
        more, _ = _make_calls(http)  # new calls go to the new column
    db = sqlite3.connect(tmp_path / "state.sqlite3")
    assert db.execute("PRAGMA user_version").fetchone()[0] == 2
    assert db.execute("SELECT count(*) FROM changes WHERE kind = 'call.created' AND detail IS NOT NULL").fetchone()[0] >= 2
    db.close()
    with Emulator(mode="subprocess", data_dir=str(tmp_path), startup_timeout=90) as emu:
        http = httpx.Client(base_url=emu.url)
        assert _gets(http, heppu, trillet, state=False) == before[:-1]  # the state holds the new calls too
        assert all(http.get(f"/api/v1/calls/{i}", headers=HEPPU).status_code == 200 for i in more)


def test_a_tenant_reset_keeps_the_other_tenants_calls_readable_after_restarts(tmp_path):
    with Emulator(mode="subprocess", data_dir=str(tmp_path), clock="manual", now=NOW, startup_timeout=90) as emu:
        http = httpx.Client(base_url=emu.url)
        heppu, trillet = _make_calls(http)
    with Emulator(mode="subprocess", data_dir=str(tmp_path), startup_timeout=90) as emu:
        http = httpx.Client(base_url=emu.url)
        before = _gets(http, heppu, [], state=False)
        other = emu.control.create_tenant("heppu")
        emu.control.create_call(other.id)
        # Rows of calls restored undecoded are copied into the new baseline.
        emu.control.reset(other.id)
        assert _gets(http, heppu, [], state=False) == before
    with Emulator(mode="subprocess", data_dir=str(tmp_path), startup_timeout=90) as emu:
        http = httpx.Client(base_url=emu.url)
        assert _gets(http, heppu, [], state=False) == before


def test_a_new_baseline_copies_the_rows_of_calls_not_yet_decoded(tmp_path):
    with Emulator(data_dir=str(tmp_path), clock="manual", now=NOW) as emu:
        heppu, trillet = _make_calls(httpx.Client(base_url=emu.url))
    with Emulator(data_dir=str(tmp_path)) as emu:
        http = httpx.Client(base_url=emu.url)
        app = emu._app
        assert all(type(app.state.engine.store.get(i)._src) is int for i in heppu)  # rows, not plans
        app.state.persistence.rebase(app)  # what a reset or an import writes
        app.state.engine.store.plans.clear()
        before = _gets(http, heppu, trillet)
    with Emulator(data_dir=str(tmp_path)) as emu:
        assert _gets(httpx.Client(base_url=emu.url), heppu, trillet) == before


def _events_after(http: httpx.Client, seq: int) -> list[tuple]:
    events = http.get("/_emulator/events", params={"limit": 1000}).json()["events"]
    return [(e["type"], e["callId"], e["at"], e["data"]) for e in events if e["seq"] > seq]


def test_live_calls_restored_unexpanded_go_on_as_if_never_stopped(tmp_path):
    """The same requests against a server that never stops and one restarted
    in between (whose live calls are followed from their stored instants):
    the same events after the restart, the same bodies."""

    def before(emu):
        http = httpx.Client(base_url=emu.url)
        heppu, trillet = _make_calls(http)
        emu.control.advance("3s")
        return http, heppu, trillet

    def after(emu, http, heppu, trillet, seq):
        assert http.delete(f"/api/v1/calls/{heppu[0]}", headers=HEPPU).status_code in (200, 204)
        emu.control.advance("90s")
        return _gets(http, heppu, trillet, state=False), _events_after(http, seq)

    with Emulator(clock="manual", now=NOW) as emu:
        http, heppu, trillet = before(emu)
        seq = http.get("/_emulator/events").json()["events"][-1]["seq"]
        expected = after(emu, http, heppu, trillet, seq)
    with Emulator(data_dir=str(tmp_path), clock="manual", now=NOW) as emu:
        http, heppu2, trillet2 = before(emu)
    assert (heppu2, trillet2) == (heppu, trillet)
    with Emulator(data_dir=str(tmp_path)) as emu:
        tracked = emu._app.state.engine.scheduler._calls
        assert all(tracked[i].timeline is None for i in heppu + trillet)  # followed without expanding
        http = httpx.Client(base_url=emu.url)
        got = after(emu, http, heppu, trillet, seq)
    assert got == expected and len(got[1]) > 10


def test_how_a_call_ends_is_read_off_its_timeline_as_its_snapshot_says():
    from emulator.core.store import snapshot_final

    with Emulator(clock="manual", now=NOW) as emu:
        http = httpx.Client(base_url=emu.url)
        ids = []
        for outcome in ("completed", "no_answer", "busy", "failed", None, None, None):
            body = {"agentId": SUPPORT, "phoneNumber": "+14155550199"}
            r = http.post("/api/v1/calls/outbound", headers=HEPPU, json=body)
            ids.append(r.json()["data"]["id"])
            if outcome:
                ids.append(emu.control.create_call(emu.control.tenants()[0].id, outcome=outcome).id)
        store = emu._app.state.engine.store
        finals = {store.get(i)._final for i in ids}
        assert len(finals) > 3  # several ways of ending
        for i in ids:
            record = store.get(i)
            assert record._final == snapshot_final(record.plan)


def test_calls_stored_without_their_facts_are_filtered_as_before(tmp_path):
    """A data dir whose calls were stored before records kept their facts
    (agent, direction, scheduled instant) lists, filters and sorts them as
    before: the facts are read from the plan when first needed."""
    lists = [
        ("/api/v1/calls", {"agentId": SUPPORT}, HEPPU),
        ("/api/v1/calls", {"agentId": "nobody"}, HEPPU),
        ("/api/v1/calls", {"direction": "outbound", "sortBy": "scheduledAt"}, HEPPU),
        ("/v2/api/call-history", {"agentId": TRILLET_AGENT}, TRILLET),
        ("/v2/api/call-history", {"direction": "inbound"}, TRILLET),
    ]
    with Emulator(mode="subprocess", data_dir=str(tmp_path), clock="manual", now=NOW, startup_timeout=90) as emu:
        http = httpx.Client(base_url=emu.url)
        _make_calls(http)
        r = http.post("/api/v1/calls/schedule", headers=HEPPU,
                      json={"agentId": SUPPORT, "contactPhone": "+14155550111", "scheduledAt": "2025-12-02T09:00:00Z"})
        assert r.status_code == 201, r.text
        before = [http.get(path, params=params, headers=headers).content for path, params, headers in lists]
    assert b'"total":0,' in before[1] and b'"total":0,' not in before[0]
    db = sqlite3.connect(tmp_path / "state.sqlite3")
    rows = db.execute("SELECT seq, data FROM changes WHERE kind = 'call.created'").fetchall()
    for seq, data in rows:
        change = orjson.loads(data)
        assert change["head"].pop("facts") is not None
        db.execute("UPDATE changes SET data = ? WHERE seq = ?", (orjson.dumps(change), seq))
    db.commit()
    db.close()
    with Emulator(mode="subprocess", data_dir=str(tmp_path), startup_timeout=90) as emu:
        http = httpx.Client(base_url=emu.url)
        assert [http.get(path, params=params, headers=headers).content for path, params, headers in lists] == before
