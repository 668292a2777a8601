"""Trillet's error shape: flat {"error": <short>, "message": <detail>}, the
form the official web SDK parses (docs/fidelity.md says why)."""

from __future__ import annotations

import json
from http import HTTPStatus

from emulator.core.fixtures import default_dir
from emulator.providers.trillet.models import ErrorResponse
from emulator.web import MAX_BODY_BYTES, MSG_UNSUPPORTED

EXAMPLES = json.loads((default_dir() / "examples" / "trillet.json").read_text())


# RFC 9110's names where Python's phrases are older.
_NAMES = {413: "Payload Too Large"}


def error_body(status: int, message: str, extra: dict) -> dict:
    return {"error": extra.get("error") or _NAMES.get(status) or HTTPStatus(status).phrase, "message": message}


def _error(description: str, example_message: str, status: int) -> dict:
    return {
        "model": ErrorResponse,
        "description": description,
        "content": {"application/json": {"example": error_body(status, example_message, {})}},
    }


def _errors(description: str, status: int, **messages: str) -> dict:
    return {
        "model": ErrorResponse,
        "description": description,
        "content": {"application/json": {"examples": {name: {"value": error_body(status, m, {})} for name, m in messages.items()}}},
    }


MISSING_WORKSPACE = "Missing x-workspace-id header"

AUTH_ERRORS = {
    400: _error("Missing x-workspace-id header", MISSING_WORKSPACE, 400),
    401: _error("Missing or invalid API key", "Invalid API key", 401),
    403: _error("The API key has no access to this workspace", "API key does not have access to this workspace", 403),
}
NOT_FOUND = {404: _error("No live call in this room", "Active call not found: call-abc123", 404)}
# Every write route: the one body rule (emulator.web.check_write_body).
BODY_ERRORS = {
    413: _error("Request body larger than 1 MiB", f"Request body too large: 1048600 bytes (limit {MAX_BODY_BYTES})", 413),
    415: _error("Body not declared JSON (Content-Type missing or not application/json)", MSG_UNSUPPORTED, 415),
}
NOT_ANSWERED = {409: _error("The call has not been answered yet", "Call in room call-abc123 has not been answered yet: there is no conversation to take over", 409)}


def bad_request(**messages: str) -> dict:
    """400 for a route that also rejects bad input: the missing workspace
    header plus the route's own examples."""
    return {400: _errors("Missing x-workspace-id header, or invalid input", 400, missing_workspace=MISSING_WORKSPACE, **messages)}


def not_found(description: str, message: str) -> dict:
    return {404: _error(description, message, 404)}
