"""Testing with call-emulator: each test gets its own tenant (a Heppu
organisation and a Trillet workspace) and its own frozen clock."""

BUSY = "+15005550002"  # a magic number: rings two seconds, then busy


def test_a_call_talks_and_completes(emulator_tenant):
    call = emulator_tenant.create_call("heppu", outcome="completed", answerAt="5s", talkFor="2m")
    heppu = emulator_tenant.heppu  # httpx client with the tenant's x-api-key

    emulator_tenant.advance("30s")  # answered at 5 s after start, talking since
    live = heppu.get(f"/api/v1/calls/{call.id}").json()["data"]
    assert live["status"] == "active"
    assert live["transcript"], "the agent has started talking"

    emulator_tenant.advance("5m")
    done = heppu.get(f"/api/v1/calls/{call.id}").json()["data"]
    assert done["status"] == "completed"
    assert len(done["transcript"]) > len(live["transcript"])


def test_busy_number(emulator_tenant):
    call = emulator_tenant.create_call("heppu", contactPhone=BUSY)
    emulator_tenant.advance("10s")
    body = emulator_tenant.heppu.get(f"/api/v1/calls/{call.id}").json()
    assert body["data"]["status"] == "busy"


def test_client_sees_a_rate_limit(emulator_tenant):
    call = emulator_tenant.create_call("heppu")
    emulator_tenant.fault("heppu", route="/api/v1/calls/{callId}", status=429, retryAfter=2, times=1)

    first = emulator_tenant.heppu.get(f"/api/v1/calls/{call.id}")
    assert first.status_code == 429 and first.headers["Retry-After"] == "2"
    assert first.json() == {"error": {"message": "Too Many Requests", "code": 429}}
    assert emulator_tenant.heppu.get(f"/api/v1/calls/{call.id}").status_code == 200

    calls = emulator_tenant.journal("heppu", route="/api/v1/calls/{callId}")
    assert [e.status for e in calls] == [429, 200]


def test_force_a_transition(emulator_tenant):
    call = emulator_tenant.create_call("trillet", contactPhone="+15005550009")  # rings until told
    emulator_tenant.advance("3s")
    emulator_tenant.act(call.id, "answer")
    emulator_tenant.advance("2s")
    room = call.plan.room
    live = emulator_tenant.trillet.get(f"/v2/api/active-calls/{room}")
    assert live.status_code == 200
    assert {p["identity"] for p in live.json()["participants"]} == {"agent-001", "customer-001"}
    emulator_tenant.act(call.id, "drop")
    assert emulator_tenant.trillet.get(f"/v2/api/active-calls/{room}").status_code == 404
