"""HTTP glue shared by providers and the control plane."""

from __future__ import annotations


from fastapi import Request, Response
from pydantic import BaseModel

from emulator.core.engine import Engine


def get_engine(request: Request) -> Engine:
    """The app's engine. Called directly, not as a dependency: FastAPI runs a
    plain `def` dependency in its thread pool."""
    return request.app.state.engine


def json_response(model: BaseModel, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    """Serialise through pydantic-core in the model's field order."""
    return Response(model.model_dump_json(), status_code=status_code, media_type="application/json", headers=headers)


def json_bytes(body: bytes, status_code: int = 200) -> Response:
    """Bytes already serialised (a cached body)."""
    return Response(body, status_code=status_code, media_type="application/json")


def json_body_route(max_bytes: int, error: type[Exception]) -> type:
    """An APIRoute class whose write requests must carry JSON of at most
    `max_bytes`; `error(status, message)` is raised otherwise (413, 415), so
    the provider's own error shape answers."""
    import email.message

    from fastapi.routing import APIRoute

    class JsonBodyRoute(APIRoute):
        def get_route_handler(self):
            handler = super().get_route_handler()

            async def checked(request: Request) -> Response:
                if request.method in ("POST", "PUT", "PATCH"):
                    declared = request.headers.get("content-length", "")
                    if declared.isdigit() and int(declared) > max_bytes:
                        raise error(413, f"Request body too large (limit {max_bytes} bytes)")
                    body = await request.body()
                    if len(body) > max_bytes:
                        raise error(413, f"Request body too large (limit {max_bytes} bytes)")
                    ctype = request.headers.get("content-type")
                    if body and ctype:
                        m = email.message.Message()
                        m["content-type"] = ctype
                        sub = m.get_content_subtype()
                        if m.get_content_maintype() != "application" or not (sub == "json" or sub.endswith("+json")):
                            raise error(415, "Content-Type must be application/json")
                return await handler(request)

            return checked

    return JsonBodyRoute
