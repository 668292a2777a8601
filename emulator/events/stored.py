"""How the webhooks' change types are applied at start (a data dir): the
registrations, and every delivery from queued to settled. What is still
pending once the log is replayed is sent again (`Webhooks.resume`).
`state.webhooks` is the app's webhooks."""

from __future__ import annotations

from emulator.core.changes import register


@register("webhook.added")
def _webhook_added(state, data: dict) -> None:
    state.webhooks.restore_endpoint(data["webhook"])


@register("webhook.removed")
def _webhook_removed(state, data: dict) -> None:
    state.webhooks.remove(data["id"])


@register("webhooks.counted")
def _webhooks_counted(state, data: dict) -> None:
    state.webhooks.restore_counters(data)


@register("delivery.queued")
def _delivery_queued(state, data: dict) -> None:
    state.webhooks.restore_delivery(data["delivery"])


@register("delivery.attempted")
def _delivery_attempted(state, data: dict) -> None:
    state.webhooks.restore_attempts(data["id"], data["attempts"])


@register("delivery.settled")
def _delivery_settled(state, data: dict) -> None:
    state.webhooks.restore_settled(data["id"])
