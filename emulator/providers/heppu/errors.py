"""Heppu's error shape for the Calls section: {"error": {"message", "code"}}
with the HTTP status as an integer code (docs.heppu.ai/calls)."""

from __future__ import annotations

import json

from emulator.core.fixtures import default_dir
from emulator.providers.heppu.models import ErrorResponse
from emulator.web import MAX_BODY_BYTES, MSG_UNSUPPORTED

EXAMPLES = json.loads((default_dir() / "examples" / "heppu.json").read_text())


def error_body(status: int, message: str, extra: dict) -> dict:
    return {"error": {"message": message, "code": status}}


def _error(description: str, *examples: str) -> dict:
    return {
        "model": ErrorResponse,
        "description": description,
        "content": {"application/json": {"examples": {name: {"value": EXAMPLES[name]} for name in examples}}},
    }


UNAUTHORIZED = {401: _error("Missing or invalid API key", "unauthorized")}
FORBIDDEN = {403: _error("The call belongs to a different organization", "forbidden")}
NOT_FOUND = {404: _error("No such call", "not_found")}


def _invented(description: str, **examples: tuple[int, str]) -> dict:
    """An error response with examples of the emulator's own messages."""
    return {
        "model": ErrorResponse,
        "description": description,
        "content": {
            "application/json": {
                "examples": {name: {"value": error_body(status, message, {})} for name, (status, message) in examples.items()}
            }
        },
    }


def bad_request(description: str = "Invalid request", **examples: tuple[int, str]) -> dict:
    return {400: _invented(description, **examples)}


def conflict(description: str, **examples: tuple[int, str]) -> dict:
    return {409: _invented(description, **examples)}


VALIDATION = {
    "invalid_agent_id": (400, "Invalid request body field 'agentId': Invalid agent ID format"),
    "invalid_phone": (400, "Invalid request body field 'phoneNumber': Phone number must be in E.164 format (+1234567890)"),
}
AGENT_ERRORS = {
    "chat_agent": (400, "Agent 9b2d7c1e-5a4f-4e8b-8c3d-2f1a6b7c8d9e is a chat agent; calls need a voice agent"),
    "no_number": (400, "Agent d4e5f6a7-b8c9-4d0e-9f1a-2b3c4d5e6f70 has no phone number; assign one or pass callerId"),
}
AGENT_NOT_FOUND = {404: _invented("No such agent in your organisation", agent_not_found=(404, "Agent not found"))}
BODY_ERRORS = {
    413: _invented("Request body larger than 1 MiB", too_large=(413, f"Request body too large: 1048600 bytes (limit {MAX_BODY_BYTES})")),
    415: _invented("Body not declared JSON (Content-Type missing or not application/json)", unsupported=(415, MSG_UNSUPPORTED)),
}
