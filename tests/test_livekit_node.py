"""The Node livekit-server-sdk (Twirp in JSON) against a real server, when
node and the SDK are installed (`npm install` in tests/node); skipped
otherwise. JSON replies are also checked byte for byte with plain httpx."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest
from livekit import api

from emulator.testing import Emulator

from .livekit_helpers import DEV, bearer, heppu_call, heppu_get

NODE_DIR = Path(__file__).parent / "node"


@pytest.fixture
def emu():
    with Emulator(clock="manual", now="2025-12-01T15:30:10Z") as e:
        yield e


def live_room(emu) -> tuple[dict, str]:
    placed = heppu_call(emu.url)
    emu.control.advance(16)
    call = heppu_get(emu.url, placed["id"])
    return call, call["roomId"]


def test_json_is_snake_case_with_every_field(emu):
    call, room = live_room(emu)
    r = httpx.post(f"{emu.url}/twirp/livekit.RoomService/ListRooms", json={"names": [room]}, headers=bearer(DEV, room_list=True))
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    (got,) = r.json()["rooms"]
    assert got["name"] == room and got["num_participants"] == 2
    assert isinstance(got["creation_time"], str) and got["creation_time"].isdigit()  # int64 as a string
    assert got["max_participants"] == 0 and got["metadata"] == "" and got["enabled_codecs"] == []  # defaults emitted
    r = httpx.post(f"{emu.url}/twirp/livekit.RoomService/ListParticipants", json={"room": room}, headers=bearer(DEV, room_admin=True, room=room))
    agent = r.json()["participants"][0]
    assert agent["kind"] == "AGENT" and agent["state"] == "ACTIVE" and agent["tracks"][0]["type"] == "AUDIO"
    # lowerCamel request names are accepted too, as protojson does.
    r = httpx.post(f"{emu.url}/twirp/livekit.RoomService/GetParticipant", json={"room": room, "identity": "caller", "revokeTokenTs": "0"}, headers=bearer(DEV, room_admin=True, room=room))
    assert r.json()["identity"] == "caller" and r.json()["attributes"]["sip.phoneNumber"] == "+15005550001"


@pytest.mark.parametrize(
    "path, headers, status, code",
    [
        ("livekit.RoomService/ListRooms", {"Content-Type": "text/plain"}, 404, "bad_route"),
        ("livekit.Nope/ListRooms", {"Content-Type": "application/json"}, 404, "bad_route"),
        ("livekit.RoomService/SendData", {"Content-Type": "application/json"}, 501, "unimplemented"),
    ],
)
def test_twirp_routing_errors(emu, path, headers, status, code):
    r = httpx.post(f"{emu.url}/twirp/{path}", content=b"{}", headers=headers)
    assert r.status_code == status and r.headers["content-type"] == "application/json" and r.json()["code"] == code


def test_get_and_malformed_bodies(emu):
    r = httpx.get(f"{emu.url}/twirp/livekit.RoomService/ListRooms")
    assert r.status_code == 404 and r.json()["code"] == "bad_route"
    r = httpx.post(f"{emu.url}/twirp/livekit.RoomService/ListRooms", content=b"{not json", headers={"Content-Type": "application/json", **bearer(DEV, room_list=True)})
    assert r.status_code == 400 and r.json()["code"] == "malformed"
    r = httpx.post(f"{emu.url}/twirp/livekit.RoomService/ListRooms", content=b"\xff\xff\xff", headers={"Content-Type": "application/protobuf", **bearer(DEV, room_list=True)})
    assert r.status_code == 400 and r.json()["code"] == "malformed"
    r = httpx.post(f"{emu.url}/twirp/livekit.RoomService/ListRooms", json={}, headers={"Authorization": "Token abc"})
    assert r.status_code == 401 and r.json()["code"] == "unauthenticated"


def test_protobuf_reply_decodes_as_the_python_client_reads_it(emu):
    _, room = live_room(emu)
    body = api.ListRoomsRequest(names=[room]).SerializeToString()
    r = httpx.post(f"{emu.url}/twirp/livekit.RoomService/ListRooms", content=body, headers={"Content-Type": "application/protobuf", **bearer(DEV, room_list=True)})
    assert r.headers["content-type"] == "application/protobuf"
    assert [x.name for x in api.ListRoomsResponse.FromString(r.content).rooms] == [room]


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
@pytest.mark.skipif(not (NODE_DIR / "node_modules" / "livekit-server-sdk").is_dir(), reason="livekit-server-sdk not installed (npm install in tests/node)")
def test_node_sdk(emu):
    call, room = live_room(emu)
    done = subprocess.run(["node", str(NODE_DIR / "livekit_json.mjs"), emu.url, room], capture_output=True, text=True, timeout=60, cwd=NODE_DIR)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["listRooms"][0]["name"] == room and out["listRooms"][0]["numParticipants"] == 2
    assert [p["identity"] for p in out["participants"]] == [p["identity"] for p in call["liveRoomStatus"]["participants"]]
    assert out["participants"][1]["attributes"]["sip.phoneNumber"] == "+15005550001"
    assert out["notFound"]["status"] == 404 and out["notFound"]["code"] == "not_found"
    # The Node SDK sends its own default identity ("sip-participant").
    assert out["dial"]["roomName"] == "node-dial-out" and out["dial"]["sipCallId"].startswith("SCL_")
    assert out["dial"]["participantIdentity"] in ("sip-participant", "sip_+15005550001")
    assert out["afterDelete"] == 0
    assert heppu_get(emu.url, call["id"])["status"] == "completed"
