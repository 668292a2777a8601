// Drives the emulator with the Node livekit-server-sdk (Twirp in JSON) and
// prints what it got as one JSON document: node livekit_json.mjs <url> <room>
import { RoomServiceClient, SipClient } from "livekit-server-sdk";

const [url, room] = process.argv.slice(2);
const rooms = new RoomServiceClient(url, "devkey", "secret");
const sip = new SipClient(url, "devkey", "secret");
const out = {};
out.listRooms = (await rooms.listRooms([room])).map((r) => ({ name: r.name, sid: r.sid, numParticipants: r.numParticipants, creationTime: String(r.creationTime) }));
out.participants = (await rooms.listParticipants(room)).map((p) => ({ identity: p.identity, kind: p.kind, state: p.state, attributes: p.attributes, track: p.tracks[0]?.sid, joinedAt: String(p.joinedAt) }));
try {
  await rooms.getParticipant(room, "nobody");
} catch (e) {
  out.notFound = { status: e.status, code: e.code, message: e.message };
}
const dial = await sip.createSipParticipant("ST_node", "+15005550001", "node-dial-out", { participantName: "Node caller" });
out.dial = { participantIdentity: dial.participantIdentity, roomName: dial.roomName, sipCallId: dial.sipCallId };
await rooms.deleteRoom(room);
out.afterDelete = (await rooms.listRooms([room])).length;
console.log(JSON.stringify(out));
