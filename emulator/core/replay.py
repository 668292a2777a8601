"""How each of the core's change types is applied on replay: the same
operations the engine performed when the change was made, with nothing
logged again. `state.engine` is the engine being rebuilt."""

from __future__ import annotations

from emulator.core.changes import register
from emulator.core.plan import CallPlan, Intervention, Participant, Turn
from emulator.core.tenants import tenant_from_dict


# Plain constructors, not pydantic: the data was written by the engine
# itself, and pydantic keeps the first schema it builds for a dataclass
# (which the control spec then renders).
def _turn(d: dict) -> Turn:
    return Turn(d["at"], d["role"], d["text"], d["sentiment"], tuple(d["topics"]), d["note"], d["suggestion"])


def plan_from_json(d: dict) -> CallPlan:
    d.pop("turn_offsets", None)
    d["turns"] = tuple(map(_turn, d["turns"]))
    d["handover"] = tuple(map(_turn, d["handover"]))
    d["participants"] = tuple(Participant(**p) for p in d["participants"])
    return CallPlan(**d)


def intervention_from_json(d: dict) -> Intervention:
    turn = d.get("turn")
    return Intervention(**{**d, "turn": _turn(turn) if turn is not None else None})


@register("call.created", with_row=True)
def _call_created(state, data: dict, row: int) -> None:
    if "plan" in data:  # format 1: the plan in the change itself
        state.engine.store.add(plan_from_json(data["plan"]))
    else:  # the plan stays in its row until the call is read
        state.engine.store.add_stored(data["head"], row)


@register("call.intervened")
def _call_intervened(state, data: dict) -> None:
    state.engine.store.intervene(data["call"], intervention_from_json(data["intervention"]))


@register("calls.cleared")
def _calls_cleared(state, data: dict) -> None:
    state.engine.store.clear(data["tenant"])


@register("stream.counted")
def _stream_counted(state, data: dict) -> None:
    state.engine.store.restore_streams(data["counters"])


@register("clock.set")
def _clock_set(state, data: dict) -> None:
    clocks = state.engine.clocks
    tenant = data["tenant"]
    if data["mode"] is None:
        clocks.drop(tenant)
        return
    clock = clocks.global_clock if tenant is None else clocks.own(tenant)
    clock.restore(data["mode"], data["speed"], data["now"], data["wall"])


@register("tenant.put")
def _tenant_put(state, data: dict) -> None:
    state.engine.tenants.add(tenant_from_dict(data["tenant"]))


@register("tenant.removed")
def _tenant_removed(state, data: dict) -> None:
    state.engine.tenants.remove(data["id"])
