"""One OpenAPI document per provider, generated from the same routes and
pydantic models that serve responses."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.openapi.utils import get_openapi

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
    for item in spec.get("paths", {}).values():
        for op in item.values():
            for param in op.get("parameters", ()):
                if param["in"] == "header" and param["name"] in provider.required_headers:
                    param["required"] = True
                    param["schema"] = {"type": "string", "title": param["schema"].get("title", param["name"])}
    return spec


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
