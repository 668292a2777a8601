"""Trillet's error shape: flat {"error": <short>, "message": <detail>}, the
form the official web SDK parses (docs/fidelity.md says why)."""

from __future__ import annotations

import json
from http import HTTPStatus

from emulator.core.fixtures import default_dir
from emulator.providers.trillet.models import ErrorResponse

EXAMPLES = json.loads((default_dir() / "examples" / "trillet.json").read_text())


def error_body(status: int, message: str, extra: dict) -> dict:
    return {"error": extra.get("error") or HTTPStatus(status).phrase, "message": message}


def _error(description: str, example_message: str, status: int) -> dict:
    return {
        "model": ErrorResponse,
        "description": description,
        "content": {"application/json": {"example": error_body(status, example_message, {})}},
    }


AUTH_ERRORS = {
    400: _error("Missing x-workspace-id header", "Missing x-workspace-id header", 400),
    401: _error("Missing or invalid API key", "Invalid API key", 401),
    403: _error("The API key has no access to this workspace", "API key does not have access to this workspace", 403),
}
NOT_FOUND = {404: _error("No live call in this room", "Active call not found: call-abc123", 404)}
