"""Fault rules as the request layer applies them: matched by vendor, route,
method and tenant, they answer with a status in the vendor's own error
shape, add latency, or both; applied with a probability drawn from a seeded
generator, at most N times. Their models and the /_emulator/faults routes
(emulator.control.faults) load with the control plane: the vendor APIs are
served without them."""

from __future__ import annotations

import asyncio
import itertools
import random
from fnmatch import fnmatchcase
from http import HTTPStatus
from typing import TYPE_CHECKING

from emulator.core.changes import NO_LOG, ChangeLog, register

if TYPE_CHECKING:
    from emulator.control.faults import FaultIn


class Rule:
    def __init__(self, rule_id: str, spec: FaultIn, routes: list[str]) -> None:
        self.id = rule_id
        self.spec = spec
        self.routes = routes
        self.hits = 0

    def exhausted(self) -> bool:
        return self.spec.times is not None and self.hits >= self.spec.times

    def matches(self, vendor: str, method: str, path: str, template: str | None, tenant: str | None) -> bool:
        s = self.spec
        if s.vendor is not None and s.vendor != vendor:
            return False
        if s.method is not None and s.method != method:
            return False
        if s.tenant is not None and s.tenant != tenant:
            return False
        if s.route is not None and not (s.route in (path, template) or fnmatchcase(path, s.route)):
            return False
        return True


class Faults:
    def __init__(self, seed: int, log: ChangeLog = NO_LOG) -> None:
        self.seed = seed
        self.log = log  # every change to the rules goes here too
        self.rules: list[Rule] = []
        self._ids = itertools.count(1)
        self.rng = random.Random(f"{seed}:faults")

    def add(self, spec: FaultIn, routes: list[str]) -> Rule:
        rule = Rule(f"fault_{next(self._ids)}", spec, routes)
        self.log.append("fault.added", rule=_rule_doc(rule))
        self.rules.append(rule)
        return rule

    def dump(self) -> dict:
        """The rules as stored (their specs, routes and hits so far)."""
        next_id = next(self._ids)
        self._ids = itertools.count(next_id)
        return {"nextId": next_id, "rules": [_rule_doc(r) for r in self.rules]}

    def load(self, doc: dict) -> None:
        self.rules = [_rule_from_doc(d) for d in doc["rules"]]
        self._ids = itertools.count(doc["nextId"])

    def get(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)

    def remove(self, rule_id: str) -> None:
        self.log.append("fault.removed", id=rule_id)
        self.rules = [r for r in self.rules if r.id != rule_id]

    def clear(self) -> None:
        self.log.append("faults.cleared")
        self.__init__(self.seed, self.log)

    def forget_tenant(self, tenant_id: str) -> None:
        self.log.append("faults.tenant_forgotten", tenant=tenant_id)
        self.rules = [r for r in self.rules if r.spec.tenant != tenant_id]

    def pick(self, vendor: str, method: str, path: str, template: str | None, tenant: str | None) -> Rule | None:
        for rule in self.rules:
            if rule.exhausted() or not rule.matches(vendor, method, path, template, tenant):
                continue
            if rule.spec.probability < 1.0 and not self.rng.random() < rule.spec.probability:
                continue
            rule.hits += 1
            self.log.append("fault.hit", id=rule.id)
            return rule
        return None

    def delay_of(self, rule: Rule) -> float:
        s = rule.spec
        if s.delay is None:
            return 0.0
        return self.rng.uniform(s.delay, s.delayMax) if s.delayMax is not None else s.delay


def _rule_doc(rule: Rule) -> dict:
    return {"id": rule.id, "spec": rule.spec.model_dump(mode="json"), "routes": rule.routes, "hits": rule.hits}


def _rule_from_doc(doc: dict) -> Rule:
    from emulator.control.faults import FaultIn

    rule = Rule(doc["id"], FaultIn.model_validate(doc["spec"]), doc["routes"])
    rule.hits = doc["hits"]
    return rule


# How each change to the rules is applied when the log is replayed.


@register("fault.added")
def _added(state, data: dict) -> None:
    faults = state.faults
    rule = _rule_from_doc(data["rule"])
    faults.rules.append(rule)
    faults._ids = itertools.count(int(rule.id.rsplit("_", 1)[1]) + 1)


@register("fault.removed")
def _removed(state, data: dict) -> None:
    state.faults.remove(data["id"])


@register("faults.cleared")
def _cleared(state, data: dict) -> None:
    state.faults.clear()


@register("faults.tenant_forgotten")
def _tenant_forgotten(state, data: dict) -> None:
    state.faults.forget_tenant(data["tenant"])


@register("fault.hit")
def _hit(state, data: dict) -> None:
    rule = state.faults.get(data["id"])
    if rule is not None:
        rule.hits += 1


async def inject(faults: Faults, provider, tenant: str | None, template: str | None, scope, receive, send) -> tuple[str | None, bool]:
    """Apply the first fault rule that hits this vendor request: wait its
    delay, answer its status in the vendor's error shape. (the rule's id or
    None, whether it answered)."""
    rule = faults.pick(provider.name, scope["method"], scope["path"], template, tenant)
    if rule is None:
        return None, False
    delay = faults.delay_of(rule)
    if delay > 0:
        await asyncio.sleep(delay)
    if rule.spec.status is None:
        return rule.id, False
    status = rule.spec.status
    headers = {}
    retry_after = rule.spec.retryAfter if rule.spec.retryAfter is not None else (1 if status == 429 else None)
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    message = rule.spec.message or _phrase(status)
    response = _json(provider.error_body(status, message, {}), status, headers)
    await response(scope, receive, send)
    return rule.id, True


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Injected fault"


def _json(body: dict, status: int, headers: dict):
    from fastapi.responses import JSONResponse

    return JSONResponse(body, status_code=status, headers=headers)
