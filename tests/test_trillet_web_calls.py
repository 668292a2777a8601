"""Trillet web calls as the official web SDK (@trillet-ai/web-sdk 1.3.3)
starts them: its exact headers and bodies against a real server. The call
is live in active calls and in LiveKit, its token joins its room, and it
lands in call history when it ends."""

from __future__ import annotations

import httpx
import jwt
import pytest
from livekit import api

from emulator.testing import Emulator

from .livekit_helpers import DEMO_WS, DEV, lk

KEY = "tk_a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6"  # opens only the demo workspace
WORKSPACE = "69cf4b468d2a8a6a8e39b684"
AGENT = "a1b2c3d4e5f6a7b8c9d0e1f2"
PUBLIC_AGENT = "64f8e3b1c12d8e9a4f3c2d1e"  # "public": true in fixtures/tenants.json
TRILLET = {"x-api-key": KEY, "x-workspace-id": WORKSPACE}
# What TrilletAgent.startCall() sends.
SDK_HEADERS = {"Content-Type": "application/json", "Accept": "application/json", "X-API_KEY": KEY}
SDK_BODY = {"agentId": AGENT, "mode": "voice", "dynamic_variables": {"firstName": "Ada"}}
# What startPublicCall() sends.
PUBLIC_HEADERS = {"Content-Type": "application/json", "Accept": "application/json", "x-workspace-id": WORKSPACE}
PUBLIC_BODY = {"call_agent_id": PUBLIC_AGENT, "mode": "voice", "dynamic_variables": {}}


@pytest.fixture(scope="module")
def emu():
    with Emulator(clock="manual", now="2025-12-01T15:30:10Z") as e:
        yield e


@pytest.fixture
def url(emu):
    emu.control.reset()
    return emu.url


def connect(url, headers=SDK_HEADERS, body=SDK_BODY, path="/v1/api/calls/web/connect"):
    r = httpx.post(url + path, headers=headers, json=body)
    assert r.status_code == 200, r.text
    return r.json()


def sdk_error(r) -> str:
    """The message the SDK shows: errorData.message || errorData.error."""
    body = r.json()
    return body.get("message") or body.get("error")


def test_connect_answers_what_the_sdk_reads(emu, url):
    got = connect(url)
    assert list(got) == ["status", "callId", "roomName", "token", "agent"]
    assert got["status"] == "success" and got["roomName"].startswith(f"web-{AGENT}-")
    assert got["agent"] == {
        "id": AGENT, "name": "Customer Support Agent", "model": "gpt-4o-mini",
        "voice": {"provider": "openai", "voiceId": "alloy", "language": "en"},
    }
    # A LiveKit token for that room, signed with the workspace's own key.
    claims = api.TokenVerifier(*DEMO_WS).verify(got["token"])
    assert claims.video.room_join and claims.video.room == got["roomName"] and claims.identity == "web-user"
    header = jwt.get_unverified_header(got["token"])
    assert header["alg"] == "HS256"


def test_the_web_call_is_live_everywhere_and_ends_in_history(emu, url):
    got = connect(url)
    room = got["roomName"]
    emu.control.advance(2)
    active = httpx.get(url + "/v2/api/active-calls", headers=TRILLET).json()["data"]
    (item,) = [c for c in active if c["roomName"] == room]
    assert item["type"] == "web" and item["customerPhone"] == "" and item["id"] == got["callId"]
    people = lk(url, DEMO_WS, fn=lambda c: c.room.list_participants(api.ListParticipantsRequest(room=room))).participants
    assert [(p.identity, p.kind) for p in people] == [("agent-001", api.ParticipantInfo.Kind.AGENT), ("web-user", api.ParticipantInfo.Kind.STANDARD)]
    assert [p["identity"] for p in item["participants"]] == [p.identity for p in people]

    r = httpx.post(url + "/v1/api/calls/web/disconnect", headers=SDK_HEADERS, json={"roomName": room})
    assert (r.status_code, r.json()) == (200, {"status": "success", "message": "Session ended successfully"})
    assert room not in [c["roomName"] for c in httpx.get(url + "/v2/api/active-calls", headers=TRILLET).json()["data"]]
    history = httpx.get(f"{url}/v2/api/call-history/{got['callId']}", headers=TRILLET).json()
    assert history["status"] == "completed" and history["roomName"] == room
    web = httpx.get(url + "/v2/api/call-history", headers=TRILLET, params={"callType": "web"}).json()
    assert [c["_id"] for c in web] == [got["callId"]]
    # Disconnecting again: nothing live in that room any more.
    r = httpx.post(url + "/v1/api/calls/web/disconnect", headers=SDK_HEADERS, json={"roomName": room})
    assert r.status_code == 404 and sdk_error(r) == f"Web call not found: {room}"


def test_livekit_delete_room_ends_a_web_call(emu, url):
    got = connect(url)
    lk(url, DEV, fn=lambda c: c.room.delete_room(api.DeleteRoomRequest(room=got["roomName"])))
    assert httpx.get(f"{url}/v2/api/call-history/{got['callId']}", headers=TRILLET).json()["status"] == "completed"


def test_public_route_needs_a_public_agent_and_no_key(emu, url):
    got = connect(url, PUBLIC_HEADERS, PUBLIC_BODY, "/v1/api/web-call/public")
    assert got["agent"]["id"] == PUBLIC_AGENT and got["token"]
    r = httpx.post(url + "/v1/api/web-call/public", headers=PUBLIC_HEADERS, json={**PUBLIC_BODY, "call_agent_id": AGENT})
    assert r.status_code == 403 and sdk_error(r) == f"Public access is not enabled for agent {AGENT}"
    r = httpx.post(url + "/v1/api/web-call/public", headers={**PUBLIC_HEADERS, "x-workspace-id": "nope"}, json=PUBLIC_BODY)
    assert r.status_code == 404 and sdk_error(r) == "Workspace not found: nope"


@pytest.mark.parametrize(
    "headers, body, status, message",
    [
        ({"Content-Type": "application/json"}, SDK_BODY, 401, "Missing x-api-key header"),
        ({**SDK_HEADERS, "X-API_KEY": "tk_wrong"}, SDK_BODY, 401, "Invalid API key"),
        (SDK_HEADERS, {**SDK_BODY, "agentId": "nope"}, 404, "Agent not found: nope"),
        (SDK_HEADERS, {"mode": "voice"}, 400, "Missing required field 'agentId'"),
        ({**SDK_HEADERS, "x-workspace-id": "6a0b1c2d3e4f5a6b7c8d9e0f"}, SDK_BODY, 403, "API key does not have access to this workspace"),
    ],
)
def test_errors_are_flat_for_the_sdk(emu, url, headers, body, status, message):
    r = httpx.post(url + "/v1/api/calls/web/connect", headers=headers, json=body)
    assert r.status_code == status and set(r.json()) == {"error", "message"} and sdk_error(r) == message


def test_a_key_opening_several_workspaces_needs_the_header(emu, url):
    emu.control.create_tenant("trillet", id="ws_second", keys=[KEY])
    r = httpx.post(url + "/v1/api/calls/web/connect", headers=SDK_HEADERS, json=SDK_BODY)
    assert r.status_code == 400 and sdk_error(r) == "Missing x-workspace-id header: this API key opens 2 workspaces"
    assert connect(url, {**SDK_HEADERS, "x-workspace-id": WORKSPACE})["status"] == "success"
    emu.control.delete_tenant("ws_second")


def test_web_call_under_the_realtime_clock():
    with Emulator() as emu:
        got = connect(emu.url)
        rooms = lk(emu.url, DEV, fn=lambda c: c.room.list_rooms(api.ListRoomsRequest(names=[got["roomName"]]))).rooms
        assert [r.name for r in rooms] == [got["roomName"]]
