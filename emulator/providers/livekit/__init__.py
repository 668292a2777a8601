"""LiveKit's server API (Twirp RoomService and SIP) over the calls' rooms,
LiveKit-signed room tokens and webhooks. Not a vendor spec: Twirp is
protobuf, described by livekit-protocol, not by an OpenAPI document.

The Twirp service and the webhook messages load with their first use
(livekit-protocol and the service are a fifth of the emulator's start-up);
this module holds only what the app is built from."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from emulator.events.webhooks import WebhookKind

router = APIRouter()
ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
# The webhook events LiveKit sends for a room.
KINDS = ("room_started", "participant_joined", "participant_left", "track_published", "room_finished")


@router.api_route("/twirp/{path:path}", methods=ALL_METHODS, include_in_schema=False)
async def twirp(request: Request, path: str) -> Response:
    from emulator.providers.livekit.service import handle

    return await handle(request, path)


def _payloads(engine, ev: dict) -> list[tuple[str, dict]]:
    from emulator.providers.livekit.webhooks import payloads

    return payloads(engine, ev)


def _request_headers(engine, tenant_id: str, raw: bytes) -> dict[str, str]:
    from emulator.providers.livekit.webhooks import request_headers

    return request_headers(engine, tenant_id, raw)


# Only for endpoints registered with kind `livekit` (no vendor gets it by default).
WEBHOOK = WebhookKind(name="livekit", events=KINDS, default_events=KINDS, payloads=_payloads, request_headers=_request_headers)

__all__ = ["router", "WEBHOOK", "KINDS"]
