"""Placing Trillet calls in tests and finding where they are in their life."""

from __future__ import annotations

from .conftest import TRILLET

AGENT = "a1b2c3d4e5f6a7b8c9d0e1f2"  # Customer Support Agent of the demo workspace


def place(driver, to: str = "+14155550123", **body) -> dict:
    r = driver.http.post("/v1/api/call", headers=TRILLET, json={"to": to, "call_agent_id": AGENT, **body})
    assert r.status_code == 200, r.text
    return r.json()


def plan_of(driver, placed: dict):
    return driver.engine.store.by_room(placed["roomName"]).plan


def place_answered(driver, **body) -> tuple[dict, object]:
    """The first call (the seed decides) that will be answered."""
    for _ in range(20):
        placed = place(driver, **body)
        plan = plan_of(driver, placed)
        if plan.answer_at is not None and len(plan.turns) >= 4:
            return placed, plan
    raise AssertionError("no answered call in 20 tries")


def place_unanswered(driver, **body) -> tuple[dict, object]:
    for _ in range(40):
        placed = place(driver, **body)
        plan = plan_of(driver, placed)
        if plan.answer_at is None and plan.ring_at is not None:
            return placed, plan
    raise AssertionError("no unanswered call in 40 tries")


def to_answer(driver, plan, after: float = 0.0):
    """Move the clock to `after` seconds past the moment the call is answered."""
    driver.clock.set_now(plan.start_at + plan.answer_at + after)
    return driver


def to_turn(driver, plan, n: int, after: float = 0.1):
    """Just after turn `n` (0-based) of the conversation is spoken."""
    driver.clock.set_now(plan.start_at + plan.answer_at + plan.turns[n].at + after)
    return driver


def history(driver, headers=TRILLET, path="/v2/api/call-history", **params):
    r = driver.http.get(path, headers=headers, params=params)
    assert r.status_code == 200, r.text
    return r.json(), int(r.headers["x-total-count"])


def history_ids(driver, **params) -> list[str]:
    body, _ = history(driver, limit=100, **params)
    return [c["_id"] for c in body]
