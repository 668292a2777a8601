"""The journal's rows: the last N vendor requests as the request layer
(emulator.http) records them. Their models and the /_emulator/journal
routes (emulator.control.journal) load with the control plane: the vendor
APIs are served without them."""

from __future__ import annotations

import itertools
from collections import deque


# One recorded request, kept as a plain tuple (building a model per request
# costs more than answering many of them); models are built when read.
Row = tuple  # (seq, at, method, path, query bytes, vendor, tenant, route, status, latency s, fault)


class Journal:
    def __init__(self, size: int) -> None:
        self.entries: deque[Row] = deque(maxlen=size)
        self._seq = itertools.count(1)

    @property
    def capacity(self) -> int:
        return self.entries.maxlen or 0

    def record(self, at: float, method: str, path: str, query: bytes, vendor, tenant, route, status: int, latency: float, fault) -> None:
        self.entries.append((next(self._seq), at, method, path, query, vendor, tenant, route, status, latency, fault))

    def query(self, *, tenant=None, route=None, method=None, vendor=None, status=None) -> list[Row]:
        method = method.upper() if method is not None else None
        return [
            e
            for e in list(self.entries)
            if (tenant is None or e[6] == tenant)
            and (route is None or e[7] == route or e[3] == route)
            and (method is None or e[2] == method)
            and (vendor is None or e[5] == vendor)
            and (status is None or e[8] == status)
        ]

    def clear(self, tenant: str | None = None) -> None:
        if tenant is None:
            self.entries.clear()
        else:
            kept = [e for e in self.entries if e[6] != tenant]
            self.entries.clear()
            self.entries.extend(kept)
