"""HTTP glue shared by providers and the control plane."""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response
from pydantic import BaseModel

from emulator.core.engine import Engine


def get_engine(request: Request) -> Engine:
    return request.app.state.engine


def json_response(model: BaseModel, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    """Serialise through pydantic-core in the model's field order."""
    return Response(model.model_dump_json(), status_code=status_code, media_type="application/json", headers=headers)


def example_content(examples: dict[str, Any]) -> dict:
    """An OpenAPI `content` block carrying named examples."""
    return {"application/json": {"examples": {name: {"value": value} for name, value in examples.items()}}}
