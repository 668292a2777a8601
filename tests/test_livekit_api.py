"""LiveKit's server API through the real livekit-api client against a real
server: the rooms are the calls' rooms, and what the client does shows
through Heppu's and Trillet's routes at the same instant."""

from __future__ import annotations

import pytest
from livekit import api

from emulator.core.timeutil import parse_instant
from emulator.testing import Emulator

from .conftest import NOW, rewind
from .livekit_helpers import ACME, DEMO_WS, DEV, heppu_call, heppu_get, lk


@pytest.fixture(scope="module")
def emu():
    with Emulator(clock="manual", now=NOW) as e:
        yield e


@pytest.fixture
def url(emu):
    rewind(emu)
    return emu.url


def answered_call(emu) -> tuple[dict, str]:
    """A Heppu call to the 'completed' magic number, 10 s into its talk."""
    placed = heppu_call(emu.url)
    emu.control.advance(16)  # starts at +1, answered 5 s later, caller joins 0.2-1 s after
    call = heppu_get(emu.url, placed["id"])
    assert call["status"] == "active"
    return call, call["roomId"]


def test_list_rooms_is_the_open_call_rooms(emu, url):
    call, room = answered_call(emu)
    rooms = lk(url, fn=lambda c: c.room.list_rooms(api.ListRoomsRequest())).rooms
    assert room in [r.name for r in rooms]
    mine = next(r for r in rooms if r.name == room)
    assert mine.sid.startswith("RM_") and mine.num_participants == 2 and mine.num_publishers == 2
    # Created when the call started connecting.
    started = parse_instant(call["startedAt"])
    assert mine.creation_time == int(started) and mine.creation_time_ms // 1000 == int(started)
    assert mine.empty_timeout == 300 and mine.departure_timeout == 20


def test_list_rooms_filters_by_name(emu, url):
    _, room = answered_call(emu)
    got = lk(url, fn=lambda c: c.room.list_rooms(api.ListRoomsRequest(names=[room, "no-such-room"]))).rooms
    assert [r.name for r in got] == [room]


def test_participants_agree_with_live_room_status(emu, url):
    call, room = answered_call(emu)
    people = lk(url, fn=lambda c: c.room.list_participants(api.ListParticipantsRequest(room=room))).participants
    status = call["liveRoomStatus"]
    assert status["numParticipants"] == len(people) == 2
    assert [{"identity": p.identity, "name": p.name} for p in people] == status["participants"]
    agent, caller = people
    assert agent.kind == api.ParticipantInfo.Kind.AGENT and caller.kind == api.ParticipantInfo.Kind.SIP
    assert agent.state == api.ParticipantInfo.State.ACTIVE and agent.permission.agent
    assert caller.attributes["sip.phoneNumber"] == "+15005550001" and caller.attributes["sip.callStatus"] == "active"
    assert caller.attributes["sip.callID"].startswith("SCL_")
    assert all(p.sid.startswith("PA_") and p.tracks[0].sid.startswith("TR_") and not p.tracks[0].muted for p in people)
    assert agent.joined_at == int(parse_instant(call["startedAt"])) and caller.joined_at > agent.joined_at


def test_get_participant_and_unknown_ones(emu, url):
    _, room = answered_call(emu)
    got = lk(url, fn=lambda c: c.room.get_participant(api.RoomParticipantIdentity(room=room, identity="caller")))
    assert got.identity == "caller" and got.name == "+15005550001"
    for r, who in ((room, "nobody"), ("no-such-room", "caller")):
        with pytest.raises(api.TwirpError) as err:
            lk(url, fn=lambda c: c.room.get_participant(api.RoomParticipantIdentity(room=r, identity=who)))
        assert (err.value.code, err.value.status, err.value.message) == ("not_found", 404, "participant does not exist")
    # ListParticipants of an unknown room lists nobody, as OSS LiveKit answers.
    assert not lk(url, fn=lambda c: c.room.list_participants(api.ListParticipantsRequest(room="no-such-room"))).participants


def test_removing_the_callee_hangs_up(emu, url):
    call, room = answered_call(emu)
    lk(url, fn=lambda c: c.room.remove_participant(api.RoomParticipantIdentity(room=room, identity="caller")))
    after = heppu_get(url, call["id"])
    assert after["status"] == "completed" and after["liveRoomStatus"] is None and after["failureReason"] is None
    assert room not in [r.name for r in lk(url, fn=lambda c: c.room.list_rooms(api.ListRoomsRequest())).rooms]


def test_removing_the_agent_hands_over_to_a_human(emu, url):
    call, room = answered_call(emu)
    lk(url, fn=lambda c: c.room.remove_participant(api.RoomParticipantIdentity(room=room, identity="agent")))
    emu.control.advance(2)
    people = lk(url, fn=lambda c: c.room.list_participants(api.ListParticipantsRequest(room=room))).participants
    assert [p.identity for p in people] == ["caller", "human"]
    assert [p["identity"] for p in heppu_get(url, call["id"])["liveRoomStatus"]["participants"]] == ["caller", "human"]


def test_delete_room_ends_the_call(emu, url):
    call, room = answered_call(emu)
    lk(url, fn=lambda c: c.room.delete_room(api.DeleteRoomRequest(room=room)))
    assert heppu_get(url, call["id"])["status"] == "completed"
    with pytest.raises(api.TwirpError) as err:
        lk(url, fn=lambda c: c.room.delete_room(api.DeleteRoomRequest(room=room)))
    assert (err.value.code, err.value.message) == ("not_found", "requested room does not exist")


def test_mute_the_agent_track_stops_it_speaking(emu, url):
    call, room = answered_call(emu)
    agent = lk(url, fn=lambda c: c.room.get_participant(api.RoomParticipantIdentity(room=room, identity="agent")))
    track = agent.tracks[0].sid
    got = lk(url, fn=lambda c: c.room.mute_published_track(api.MuteRoomTrackRequest(room=room, identity="agent", track_sid=track, muted=True)))
    assert got.track.sid == track and got.track.muted
    muted_at = emu.control.call(call["id"]).snapshot.now
    emu.control.advance(30)
    after = heppu_get(url, call["id"])
    assert "human" in [p["identity"] for p in after["liveRoomStatus"]["participants"]]
    # The agent says nothing after the mute; the human took over.
    turns = emu.control.call(call["id"]).snapshot.transcript
    assert not [t for t in turns if t.role == "agent" and t.at > muted_at]
    assert lk(url, fn=lambda c: c.room.get_participant(api.RoomParticipantIdentity(room=room, identity="agent"))).tracks[0].muted
    with pytest.raises(api.TwirpError) as err:  # LiveKit's default: no remote unmute
        lk(url, fn=lambda c: c.room.mute_published_track(api.MuteRoomTrackRequest(room=room, identity="agent", track_sid=track, muted=False)))
    assert (err.value.code, err.value.status) == ("failed_precondition", 412)
    with pytest.raises(api.TwirpError) as err:
        lk(url, fn=lambda c: c.room.mute_published_track(api.MuteRoomTrackRequest(room=room, identity="agent", track_sid="TR_nope", muted=True)))
    assert err.value.code == "not_found"


def test_update_participant_shows_everywhere(emu, url):
    call, room = answered_call(emu)
    got = lk(url, fn=lambda c: c.room.update_participant(
        api.UpdateParticipantRequest(room=room, identity="caller", name="Ada", metadata='{"vip": true}', attributes={"tier": "gold"})
    ))
    assert got.name == "Ada" and got.metadata == '{"vip":true}' and got.attributes["tier"] == "gold"
    assert got.attributes["sip.phoneNumber"] == "+15005550001"
    assert {"identity": "caller", "name": "Ada"} in heppu_get(url, call["id"])["liveRoomStatus"]["participants"]


def test_create_sip_participant_places_a_call_for_the_signing_tenant(emu, url):
    info = lk(url, ACME, fn=lambda c: c.sip.create_sip_participant(api.CreateSIPParticipantRequest(
        sip_trunk_id="ST_abc", sip_call_to="+15005550002", room_name="dial-out-1", participant_name="Caller"
    )))
    assert info.room_name == "dial-out-1" and info.participant_identity == "sip_+15005550002"
    assert info.participant_id.startswith("PA_") and info.sip_call_id.startswith("SCL_")
    # The room is open now (the agent joined), and the busy magic number ends it 3 s later.
    room = lk(url, ACME, fn=lambda c: c.room.list_rooms(api.ListRoomsRequest(names=["dial-out-1"]))).rooms
    assert room and room[0].num_participants == 1
    (call,) = [c for c in emu.control.calls(tenant="org_abc123") if c.room == "dial-out-1"]
    assert heppu_get(url, call.id)["phoneNumber"] == "+15005550002"
    emu.control.advance(5)
    assert not lk(url, ACME, fn=lambda c: c.room.list_rooms(api.ListRoomsRequest(names=["dial-out-1"]))).rooms
    assert heppu_get(url, call.id)["status"] == "busy"


def test_keys_see_only_their_own_tenants_rooms(emu, url):
    _, room = answered_call(emu)  # a Heppu org_abc123 call
    assert room in [r.name for r in lk(url, ACME, fn=lambda c: c.room.list_rooms(api.ListRoomsRequest())).rooms]
    assert room not in [r.name for r in lk(url, DEMO_WS, fn=lambda c: c.room.list_rooms(api.ListRoomsRequest())).rooms]
    with pytest.raises(api.TwirpError) as err:
        lk(url, DEMO_WS, fn=lambda c: c.room.delete_room(api.DeleteRoomRequest(room=room)))
    assert err.value.code == "not_found"


def test_bad_secret_and_unknown_key(emu, url):
    for pair, text in ((("devkey", "wrong"), "invalid authorization token: Signature verification failed"), (("nokey", "secret"), "invalid API key: nokey")):
        with pytest.raises(api.TwirpError) as err:
            lk(url, pair, fn=lambda c: c.room.list_rooms(api.ListRoomsRequest()))
        assert (err.value.code, err.value.status, err.value.message) == ("unauthenticated", 401, text)


def test_missing_grant_is_unauthenticated(emu, url):
    import httpx

    _, room = answered_call(emu)
    # roomAdmin for another room does not open this one.
    token = api.AccessToken(*DEV).with_grants(api.VideoGrants(room_admin=True, room="elsewhere")).to_jwt()
    r = httpx.post(f"{url}/twirp/livekit.RoomService/ListParticipants", json={"room": room}, headers={"Authorization": f"Bearer {token}"})
    assert (r.status_code, r.json()) == (401, {"code": "unauthenticated", "msg": "permissions denied"})
    # No token at all: no grants.
    r = httpx.post(f"{url}/twirp/livekit.RoomService/ListRooms", json={})
    assert (r.status_code, r.json()) == (401, {"code": "unauthenticated", "msg": "permissions denied"})


def test_create_room_makes_a_bare_room_that_a_call_can_take_over(emu, url):
    room = lk(url, ACME, fn=lambda c: c.room.create_room(api.CreateRoomRequest(name="lobby", empty_timeout=60, metadata="m")))
    assert room.name == "lobby" and room.sid.startswith("RM_") and room.empty_timeout == 60 and room.metadata == "m"
    assert [r.name for r in lk(url, ACME, fn=lambda c: c.room.list_rooms(api.ListRoomsRequest(names=["lobby"]))).rooms] == ["lobby"]
    emu.control.advance(61)  # empty past its timeout: closed
    assert not lk(url, ACME, fn=lambda c: c.room.list_rooms(api.ListRoomsRequest(names=["lobby"]))).rooms


def test_works_under_the_realtime_clock():
    with Emulator(demo=True) as emu:  # the default configuration
        rooms = lk(emu.url, fn=lambda c: c.room.list_rooms(api.ListRoomsRequest())).rooms
        assert rooms, "demo calls are live"
        room = rooms[0].name
        people = lk(emu.url, fn=lambda c: c.room.list_participants(api.ListParticipantsRequest(room=room))).participants
        assert people and people[0].kind == api.ParticipantInfo.Kind.AGENT
        lk(emu.url, fn=lambda c: c.room.delete_room(api.DeleteRoomRequest(room=room)))
        assert room not in [r.name for r in lk(emu.url, fn=lambda c: c.room.list_rooms(api.ListRoomsRequest())).rooms]


def test_second_listener_on_a_livekit_port():
    from emulator.testing.server import free_port

    port = free_port()
    with Emulator(mode="subprocess", livekit_port=port, clock="scaled", speed=60, demo=True) as emu:
        on_main = lk(emu.url, fn=lambda c: c.room.list_rooms(api.ListRoomsRequest()))
        on_livekit = lk(f"ws://127.0.0.1:{port}", fn=lambda c: c.room.list_rooms(api.ListRoomsRequest()))
        assert on_main.rooms and {r.name for r in on_livekit.rooms} & {r.name for r in on_main.rooms}


def test_a_tenant_made_by_the_control_plane_gets_its_own_pair(emu, url):
    t = emu.control.create_tenant("heppu", id="org_lk_test", keys=["lk_test_key"])
    (pair,) = t.livekitKeys
    assert pair.apiKey.startswith("API") and len(pair.apiSecret) >= 32
    info = lk(emu.livekit_url, (pair.apiKey, pair.apiSecret), fn=lambda c: c.sip.create_sip_participant(
        api.CreateSIPParticipantRequest(sip_trunk_id="ST_t", sip_call_to="+15005550008")))
    mine = lk(url, (pair.apiKey, pair.apiSecret), fn=lambda c: c.room.list_rooms(api.ListRoomsRequest())).rooms
    assert [r.name for r in mine] == [info.room_name]
    # devkey does not open it (it opens the bundled tenants).
    assert info.room_name not in [r.name for r in lk(url, fn=lambda c: c.room.list_rooms(api.ListRoomsRequest())).rooms]
    emu.control.delete_tenant("org_lk_test")
