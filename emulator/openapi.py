"""One OpenAPI document per provider, generated from the same routes and
pydantic models that serve responses."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from functools import cache

from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from emulator import __version__
from emulator.providers.base import Provider


_GENERATED: dict[str, dict] = {}


def provider_spec(provider: Provider) -> dict:
    # Generating a document takes FastAPI about half a second; the routes
    # never change in a process, so it is done once per provider.
    if provider.name not in _GENERATED:
        _GENERATED[provider.name] = _provider_spec(provider)
    return copy.deepcopy(_GENERATED[provider.name])


def _provider_spec(provider: Provider) -> dict:
    spec = get_openapi(
        title=provider.title,
        version=provider.version,
        summary=f"Emulated by call-emulator {__version__}",
        description=provider.description,
        routes=provider.router.routes,
        servers=provider.servers,
        separate_input_output_schemas=False,  # one schema per model, whichever pydantic computes it
    )
    _restore_examples(spec, provider)
    _validation_errors_are_400(spec)
    for item in spec.get("paths", {}).values():
        for op in item.values():
            for param in op.get("parameters", ()):
                if param["in"] == "header" and param["name"] in provider.required_headers:
                    param["required"] = True
                    param["schema"] = {"type": "string", "minLength": 1, "title": param["schema"].get("title", param["name"])}
    return spec


def _restore_examples(spec: dict, provider: Provider) -> None:
    """FastAPI drops null values while encoding the document, and the docs'
    examples carry meaningful nulls: put each declared example back verbatim."""
    for route in provider.router.routes:
        if not isinstance(route, APIRoute):
            continue
        for method in route.methods:
            op = spec["paths"][route.path_format][method.lower()]
            for status, response in route.responses.items():
                for media, declared in response.get("content", {}).items():
                    target = op["responses"][str(status)]["content"][media]
                    for key in ("example", "examples"):
                        if key in declared:
                            target[key] = declared[key]


def _validation_errors_are_400(spec: dict, error_schema: str = "ErrorResponse") -> None:
    """FastAPI documents 422 with its own body; the app answers bad input
    with 400 in the owner's error shape (app.install_error_handlers)."""
    for item in spec.get("paths", {}).values():
        for op in item.values():
            if op.get("responses", {}).pop("422", None) is not None and "400" not in op["responses"]:
                op["responses"]["400"] = {
                    "description": "Invalid parameters or body",
                    "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{error_schema}"}}},
                }
    schemas = spec.get("components", {}).get("schemas", {})
    if "HTTPValidationError" not in json.dumps(spec.get("paths", {})):
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)


def render(spec: dict) -> str:
    return json.dumps(spec, indent=2, ensure_ascii=False) + "\n"


CONTROL_DESCRIPTION = """The emulator's own control plane under /_emulator: health and readiness,
reset and reseed, tenants, per-tenant and global clocks, calls (create from a
full or partial plan, force transitions, inject turns, read plan and
snapshot), fault rules, the request journal, and export/import of the whole
state. It never collides with vendor routes.

Every error is `{"error": {"message", "code"}}` with the HTTP status as the
code; invalid input is 400. When the emulator was started with a control
token (required off loopback), every route but health, ready and the specs
needs it in `x-emulator-token`.

Magic phone numbers force an outcome whichever API places the call:

| Number | Name | What happens |
|---|---|---|
"""


def control_spec() -> dict:
    return copy.deepcopy(_control_spec())


@cache
def _control_spec() -> dict:
    """openapi/control.json, from the control routers and their models."""
    from emulator.control.routes import ROUTERS
    from emulator.core.magic import MAGIC_NUMBERS

    table = "".join(f"| `{m.phone}` | {m.name} | {m.description} |\n" for m in MAGIC_NUMBERS)
    spec = get_openapi(
        title="call-emulator control plane",
        version=__version__,
        description=CONTROL_DESCRIPTION + table,
        routes=[route for router in ROUTERS for route in router.routes],
        servers=[{"url": "http://127.0.0.1:8000", "description": "A local call-emulator"}],
        separate_input_output_schemas=False,
    )
    _validation_errors_are_400(spec, error_schema="ControlErrorBody")
    return spec


class Specs(Mapping):
    """Every spec the app serves, by name, generated on first use so that
    starting the emulator does not wait for them."""

    def __init__(self, makers: dict) -> None:
        self._makers = makers
        self._made: dict[str, dict] = {}

    def __getitem__(self, name: str) -> dict:
        if name not in self._made:
            self._made[name] = self._makers[name]()
        return self._made[name]

    def __iter__(self):
        return iter(self._makers)

    def __len__(self) -> int:
        return len(self._makers)
