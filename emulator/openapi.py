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
    _drop_unused_422(spec)
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


def _drop_unused_422(spec: dict) -> None:
    """FastAPI documents a 422 on every route with parameters; the emulator
    answers invalid input with the vendor's 400 instead, so the 422 and its
    schemas go."""
    for item in spec.get("paths", {}).values():
        for op in item.values():
            op.get("responses", {}).pop("422", None)
    schemas = spec.get("components", {}).get("schemas", {})
    if "HTTPValidationError" in schemas and "HTTPValidationError" not in json.dumps(spec["paths"]):
        schemas.pop("HTTPValidationError", None)
        if "#/components/schemas/ValidationError" not in json.dumps(schemas):
            schemas.pop("ValidationError", None)


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
