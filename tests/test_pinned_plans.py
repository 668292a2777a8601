"""The same seed and requests draw the same plans, timelines, events and
snapshots as they always did: restored data dirs redraw plans from their
recipes, so a faster generator must not draw anything else. The digests
were computed by the code before it was optimised (tests/pinned_plans.py)."""

from __future__ import annotations

from tests.pinned_plans import digest, engine_digest


def test_plans_and_timelines_are_unchanged():
    errors: list[str] = []
    assert digest(1500, errors) == "2b991383b1f3795de8c1e839b0a723ee7f3f746983d13d7f48eb0f30b5aedc9d"
    # Inconsistent plans are among them, refused with the same messages.
    assert set(errors) == {"a call cannot start before it is created", "a call cannot be answered before it rings"}


def test_engine_events_and_snapshots_are_unchanged():
    assert engine_digest() == "e0daf50563341f2d5afa1df3a88489529cd84efc2ac445dab68a56c74d4ddf0b"
