"""Heppu's error shape for the Calls section: {"error": {"message", "code"}}
with the HTTP status as an integer code (docs.heppu.ai/calls)."""

from __future__ import annotations

import json

from emulator.core.fixtures import default_dir
from emulator.providers.heppu.models import ErrorResponse

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
