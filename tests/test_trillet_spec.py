"""openapi/trillet.json describes every Trillet route, its errors, the docs'
examples and the links a stateful run follows."""

from __future__ import annotations

import json

from .conftest import EXAMPLES, ROOT

SPEC = json.loads((ROOT / "openapi" / "trillet.json").read_text())


def op(path, method="get"):
    return SPEC["paths"][path][method]


def test_every_route_is_in_the_spec_with_its_errors():
    expected = {
        ("get", "/v2/api/active-calls"): {"200", "400", "401", "403"},
        ("get", "/v2/api/active-calls/{roomName}"): {"200", "400", "401", "403", "404"},
        ("get", "/v2/api/active-calls/{roomName}/insights"): {"200", "400", "401", "403", "404"},
        ("post", "/v2/api/active-calls/{roomName}/end-call"): {"200", "400", "401", "403", "404", "413"},
        ("post", "/v2/api/active-calls/{roomName}/remove-agent"): {"200", "400", "401", "403", "404", "409", "413"},
        ("post", "/v1/api/call"): {"200", "400", "401", "403", "404", "413"},
        ("get", "/v2/api/call-history"): {"200", "400", "401", "403"},
        ("get", "/v1/api/call-history"): {"200", "400", "401", "403"},
        ("get", "/v2/api/call-history/{callHistoryId}"): {"200", "400", "401", "403", "404"},
        ("get", "/v1/api/call-history/{callHistoryId}"): {"200", "400", "401", "403", "404"},
        ("post", "/v1/api/calls/web/connect"): {"200", "400", "401", "403", "404", "413"},
        ("post", "/v1/api/calls/web/disconnect"): {"200", "400", "401", "403", "404", "413"},
        ("post", "/v1/api/web-call/public"): {"200", "400", "403", "404", "413"},
    }
    found = {(m, p): set(o["responses"]) for p, item in SPEC["paths"].items() for m, o in item.items()}
    assert found == expected
    for (method, path), _ in expected.items():
        for status, response in op(path, method)["responses"].items():
            if status != "200":
                assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorResponse"}


def test_the_docs_examples_are_in_the_spec():
    def example(path, method="get"):
        return op(path, method)["responses"]["200"]["content"]["application/json"]["example"]

    assert example("/v2/api/active-calls") == EXAMPLES["trillet"]["active_calls"]
    assert example("/v2/api/active-calls/{roomName}/insights") == EXAMPLES["trillet"]["insights"]
    assert example("/v2/api/active-calls/{roomName}/end-call", "post") == EXAMPLES["trillet"]["end_call"]
    assert example("/v2/api/active-calls/{roomName}/remove-agent", "post") == EXAMPLES["trillet"]["remove_agent"]
    assert example("/v1/api/call", "post") == EXAMPLES["trillet"]["outbound_call"]
    assert example("/v2/api/call-history") == EXAMPLES["trillet"]["call_history"]
    assert example("/v2/api/call-history/{callHistoryId}") == EXAMPLES["trillet"]["call_history_record"]
    assert example("/v2/api/call-history")[0]["recordingUrl"] is None  # nulls kept
    assert example("/v1/api/calls/web/connect", "post") == EXAMPLES["trillet"]["web_connect"]
    assert example("/v1/api/calls/web/disconnect", "post") == EXAMPLES["trillet"]["web_disconnect"]


def test_links_chain_outbound_to_history():
    ids = {o["operationId"] for item in SPEC["paths"].values() for o in item.values()}
    links = op("/v1/api/call", "post")["responses"]["200"]["links"]
    assert links["GetActiveCall"] == {"operationId": "getActiveCall", "parameters": {"roomName": "$response.body#/roomName"}}
    assert links["GetCallHistory"]["parameters"] == {"callHistoryId": "$response.body#/callId"}
    assert op("/v2/api/active-calls/{roomName}")["responses"]["200"]["links"]["GetCallInsights"]["operationId"] == "getCallInsights"
    assert op("/v2/api/active-calls/{roomName}/insights")["responses"]["200"]["links"]["EndActiveCall"]["operationId"] == "endActiveCall"
    assert op("/v2/api/active-calls/{roomName}/end-call", "post")["responses"]["200"]["links"]["ListCallHistory"]["operationId"] == "listCallHistory"
    for item in SPEC["paths"].values():
        for o in item.values():
            for link in o["responses"]["200"].get("links", {}).values():
                assert link["operationId"] in ids


def test_json_query_parameters_are_declared_as_json():
    params = {p["name"]: p for p in op("/v2/api/call-history")["parameters"]}
    assert params["callIds"]["content"]["application/json"]["schema"] == {"type": "array", "items": {"type": "string"}}
    assert set(params["dateRange"]["content"]["application/json"]["schema"]["properties"]) == {"from", "to", "startDate", "endDate"}
    assert params["x-workspace-id"]["required"] is True
    assert op("/v1/api/call-history")["deprecated"] is True
