"""How every Trillet route reads its request: the one write-body rule
(emulator.web.check_write_body) checked before anything else, and FastAPI's validation errors turned into Trillet's flat
error with a message that names the problem."""

from __future__ import annotations

from typing import Callable

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from emulator.door import first_repeated
from emulator.providers.base import VendorError
from emulator.web import check_write_body


def _error(status: int, message: str) -> VendorError:
    return VendorError(status, message, error={413: "Payload Too Large", 415: "Unsupported Media Type"}[status])


def validation_message(exc: RequestValidationError) -> str:
    err = exc.errors()[0]
    loc = [str(x) for x in err.get("loc", ())]
    where, name = (loc[0], ".".join(loc[1:])) if loc else ("request", "")
    kind = err.get("type", "")
    if kind == "json_invalid":
        detail = (err.get("ctx") or {}).get("error", "")
        return f"Malformed JSON in request body{': ' + detail if detail else ''}"
    if where == "body":
        if not name:
            if kind == "missing":
                return "Request body is required (a JSON object)"
            return "Request body must be a JSON object"
        if kind == "missing":
            return f"Missing required field '{name}'"
        if name == "to" and kind == "string_pattern_mismatch":
            return "Invalid phone number in 'to': expected E.164 format, e.g. +14155551234"
        if name == "callback_url" and kind == "string_pattern_mismatch":
            return "Invalid field 'callback_url': must be an absolute http(s) URL"
        return f"Invalid field '{name}': {err.get('msg')}"
    return f"Invalid {where} parameter '{name}': {err.get('msg')}"


class TrilletRoute(APIRoute):
    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            await check_write_body(request, _error)
            # Every Trillet query parameter is a single value: a repeated one
            # is refused rather than silently reduced to one of its values.
            repeated = first_repeated(k for k, _ in request.query_params.multi_items())
            if repeated is not None:
                raise VendorError(400, f"Query parameter '{repeated}' is given more than once", error="Bad Request")
            try:
                return await handler(request)
            except RequestValidationError as exc:
                raise VendorError(400, validation_message(exc), error="Bad Request") from None

        return route
