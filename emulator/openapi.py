"""One OpenAPI document per provider, generated from the same routes and
pydantic models that serve responses."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from emulator import __version__
from emulator.providers.base import Provider


def provider_spec(provider: Provider) -> dict:
    spec = get_openapi(
        title=provider.title,
        version=provider.version,
        summary=f"Emulated by call-emulator {__version__}",
        description=provider.description,
        routes=provider.router.routes,
        servers=provider.servers,
    )
    _restore_examples(spec, provider)
    _drop_undeclared_422(spec, provider)
    for item in spec.get("paths", {}).values():
        for op in item.values():
            for param in op.get("parameters", ()):
                if param["in"] == "header" and param["name"] in provider.required_headers:
                    param["required"] = True
                    param["schema"] = {"type": "string", "title": param["schema"].get("title", param["name"])}
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


def _drop_undeclared_422(spec: dict, provider: Provider) -> None:
    """FastAPI adds a 422 to every route with parameters; the emulator answers
    validation errors with the vendor's own status (docs/fidelity.md), so a
    422 stays only where a route declares one."""
    for route in provider.router.routes:
        if not isinstance(route, APIRoute) or 422 in route.responses or "422" in route.responses:
            continue
        for method in route.methods:
            spec["paths"][route.path_format][method.lower()]["responses"].pop("422", None)
    text = json.dumps(spec["paths"])
    schemas = spec.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        if f'"#/components/schemas/{name}"' not in text and name in schemas:
            if name == "ValidationError" and '"#/components/schemas/ValidationError"' in json.dumps(schemas.get("HTTPValidationError", {})):
                continue
            schemas.pop(name)


def render(spec: dict) -> str:
    return json.dumps(spec, indent=2, ensure_ascii=False) + "\n"


def write_specs(providers: list[Provider], out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for provider in providers:
        path = out / f"{provider.name}.json"
        path.write_text(render(provider_spec(provider)))
        written.append(path)
    return written
