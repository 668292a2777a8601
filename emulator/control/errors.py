"""The control plane's one error shape: {"error": {"message", "code"}} with
the HTTP status as an integer code. FastAPI's own 404, 405 and validation
errors (400 here, not 422) answer in it too (emulator.app)."""

from __future__ import annotations

from pydantic import BaseModel

from emulator.providers.base import VendorError


class ErrorDetail(BaseModel):
    message: str
    code: int


class ControlErrorBody(BaseModel):
    error: ErrorDetail


def error_body(status: int, message: str, extra: dict | None = None) -> dict:
    return {"error": {"message": message, "code": status}}


class ControlError(VendorError):
    """An error a control route answers with."""


def _error(status: int, description: str, message: str) -> dict:
    return {
        status: {
            "model": ControlErrorBody,
            "description": description,
            "content": {"application/json": {"example": error_body(status, message)}},
        }
    }


BAD_REQUEST = _error(400, "Invalid input", "Invalid request body field 'mode': Input should be 'realtime', 'scaled' or 'manual'")
UNAUTHORIZED = _error(401, "Missing or wrong control token (only when the control plane requires one)", "Missing or invalid x-emulator-token")
NOT_FOUND = _error(404, "No such call, tenant or rule", "No call with id call_unknown")
CONFLICT = _error(409, "The request conflicts with the current state", "Call call_abc123 has already ended (completed)")
