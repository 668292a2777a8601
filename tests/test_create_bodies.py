"""The create routes (and Heppu's list pagination) write their answers
without building the response models: the bytes are still exactly what the
models would write (field order, compact JSON, a request's metadata as
given)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from emulator.core.timeutil import iso_seconds
from emulator.providers.heppu.models import OutboundAgent, OutboundCall, OutboundMetadata, OutboundResponse
from emulator.providers.trillet.models import OutboundCallResponse

from .conftest import HEPPU, TRILLET, make_app
from .trillet_helpers import AGENT as TRILLET_AGENT

HEPPU_AGENT = "550e8400-e29b-41d4-a716-446655440000"

METADATA = [
    None,
    {},
    {"crm": {"id": 42, "tags": ["a", "b"], "score": 0.1, "none": None, "yes": True}},
    # The response model's own fields are the server's; the request's come after them.
    {"priority": "high", "zeta": 1, "caller_id": "x", "alpha": 2},
    {"big": 2**70, "tiny": 5e-324, "exp": 1e20, "neg": -0.0, "float": 1.0, "text": "é\u2028\x00\x1f\"\\/<>&'😀"},
    {"_private": 1, "model_config": 2, "model_fields": 3, "copy": 4, "__class__": 5},
]


@pytest.fixture(params=[True, False], ids=["strict", "short-path"])
def app(request):
    return make_app(strict=request.param)


def test_heppu_outbound_answers_the_models_bytes(app):
    with TestClient(app) as http:
        for i, metadata in enumerate(METADATA):
            body = {"agentId": HEPPU_AGENT, "phoneNumber": "+14155550123", "priority": 1 + i}
            if metadata is not None:
                body["metadata"] = metadata
            r = http.post("/api/v1/calls/outbound", headers=HEPPU, json=body)
            assert r.status_code == 201, r.text
            record = app.state.engine.store.get(r.json()["data"]["id"])
            p, s = record.plan, record.at(record.plan.created_at)
            expected = OutboundResponse(
                data=OutboundCall(
                    id=p.id, status=s.status, agentId=p.agent_id, phoneNumber=p.contact_phone, callerId=p.agent_phone,
                    startedAt=iso_seconds(p.created_at), agent=OutboundAgent(id=p.agent_id, name=p.agent_name, type="voice"),
                    metadata=OutboundMetadata(**p.metadata),
                ),
                message="Outbound call initiated successfully via LiveKit",
            )
            assert r.content == expected.model_dump_json().encode()


def test_trillet_outbound_answers_the_models_bytes(app):
    with TestClient(app) as http:
        for variables in (None, {"firstName": "Zoë"}):
            body = {"to": "+14155550123", "call_agent_id": TRILLET_AGENT}
            if variables:
                body["dynamic_variables"] = variables
            r = http.post("/v1/api/call", headers=TRILLET, json=body)
            assert r.status_code == 200, r.text
            p = app.state.engine.store.get(r.json()["callId"]).plan
            expected = OutboundCallResponse(
                status="success", message=f"Outbound call job scheduled for agent {TRILLET_AGENT} to number +14155550123",
                callId=p.id, roomName=p.room, jobId=p.job_id,
            )
            assert r.content == expected.model_dump_json().encode()


@pytest.mark.parametrize(
    "total, limit, offset, shown",
    [(0, 50, 0, 0), (2, 50, 0, 2), (8, 3, 0, 3), (8, 3, 6, 2), (8, 3, 9, 0), (10**12, 100, 10**9, 100), (5, 1, 4, 1)],
)
def test_a_list_pages_pagination_is_the_models_bytes(total, limit, offset, shown):
    """Heppu's list writes its pagination without building the model: the
    same bytes, hasMore included."""
    from emulator.providers.heppu.listing import pagination
    from emulator.providers.heppu.models import Pagination

    model = Pagination(total=total, limit=limit, offset=offset, hasMore=offset + shown < total)
    assert pagination(total, limit, offset, shown) == model.model_dump_json().encode()
