"""What every provider declares, and the error every provider route raises."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from fastapi import APIRouter

from emulator.core.generate import CallStyle
from emulator.core.plan import CallPlan
from emulator.core.tenants import Tenant


class VendorError(Exception):
    """An error a vendor route answers with; the provider renders its body."""

    def __init__(self, status: int, message: str, **extra) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra


@dataclass
class Provider:
    name: str  # heppu | trillet
    title: str
    version: str
    description: str
    prefixes: tuple[str, ...]  # the paths it owns; its error shape answers there
    router: APIRouter
    error_body: Callable[[int, str, dict], dict]
    # (engine, headers by lower-case name) -> the tenant the credentials
    # open; raises the vendor's VendorError otherwise.
    authenticate: Callable[..., Any]
    servers: list[dict]
    style: CallStyle
    # Headers the vendor requires that are parameters, not security schemes.
    required_headers: tuple[str, ...] = ()
    # Wires provider behaviour into a new engine (e.g. scheduler handlers).
    attach: Callable | None = None
    # How the emulator's events reach this vendor's webhook receivers.
    webhook: object | None = None  # events.webhooks.WebhookKind
    # Operations (polled GETs, creates) served straight from the request
    # layer (emulator.http.fast).
    fast_operations: tuple[str, ...] = ()
    # How a client of this vendor reads one call: (operationId, path) of each
    # GET that shows it, and the headers a tenant's key goes in. The
    # dashboard's vendor view replays these reads through the real routes.
    call_reads: Callable[[CallPlan], list[tuple[str, str]]] | None = None
    credentials: Callable[[Tenant], dict[str, str]] | None = None

    def owns(self, path: str) -> bool:
        return path.startswith(self.prefixes)
