"""LiveKit's server API (Twirp RoomService and SIP) over the calls' rooms,
LiveKit-signed room tokens and webhooks. Not a vendor spec: Twirp is
protobuf, described by livekit-protocol, not by an OpenAPI document."""

from emulator.providers.livekit.service import router

__all__ = ["router"]
