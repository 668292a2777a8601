"""Twirp as LiveKit speaks it: a request body in binary protobuf or JSON
(chosen by Content-Type), the answer in the same encoding, and errors always
as JSON {"code", "msg"} with the Twirp status. The messages are
livekit-protocol's; the encodings are protobuf's own."""

from __future__ import annotations

import json
from typing import Literal

from fastapi import Response
from google.protobuf import json_format
from google.protobuf.message import DecodeError, Message

Encoding = Literal["protobuf", "json"]

# Twirp error code -> HTTP status (twitchtv/twirp errors.go).
STATUS = {
    "canceled": 408,
    "unknown": 500,
    "invalid_argument": 400,
    "malformed": 400,
    "deadline_exceeded": 408,
    "not_found": 404,
    "bad_route": 404,
    "already_exists": 409,
    "permission_denied": 403,
    "unauthenticated": 401,
    "resource_exhausted": 429,
    "failed_precondition": 412,
    "aborted": 409,
    "out_of_range": 400,
    "unimplemented": 501,
    "internal": 500,
    "unavailable": 503,
    "dataloss": 500,
}


class TwirpError(Exception):
    def __init__(self, code: str, msg: str, meta: dict[str, str] | None = None) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg
        self.meta = meta or {}

    @property
    def status(self) -> int:
        return STATUS[self.code]

    def response(self) -> Response:
        body = {"code": self.code, "msg": self.msg}
        if self.meta:
            body["meta"] = self.meta
        return Response(json.dumps(body), status_code=self.status, media_type="application/json")


def encoding_of(content_type: str | None) -> Encoding | None:
    """The request's encoding as Twirp reads it: lower-cased, cut at ';'."""
    base = (content_type or "").split(";", 1)[0].strip().lower()
    return {"application/protobuf": "protobuf", "application/json": "json"}.get(base)


def decode(body: bytes, cls: type[Message], encoding: Encoding) -> Message:
    try:
        if encoding == "protobuf":
            return cls.FromString(body)
        # Twirp parses JSON with DiscardUnknown; proto and lowerCamel names both work.
        return json_format.Parse(body or b"{}", cls(), ignore_unknown_fields=True)
    except (DecodeError, json_format.ParseError, UnicodeDecodeError, ValueError) as exc:
        what = "protobuf" if encoding == "protobuf" else "json"
        raise TwirpError("malformed", f"the {what} request could not be decoded: {exc}") from None


def to_json(message: Message) -> str:
    """JSON exactly as LiveKit's Twirp servers write it: proto (snake_case)
    names, every field emitted, int64 as strings, enums by name."""
    return json_format.MessageToJson(
        message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True, indent=None
    )


def encode(message: Message, encoding: Encoding) -> Response:
    if encoding == "protobuf":
        return Response(message.SerializeToString(), media_type="application/protobuf")
    return Response(to_json(message), media_type="application/json")
