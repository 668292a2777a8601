"""Heppu choices where its docs are silent or disagree, kept in one place.
docs/fidelity.md ("## Heppu") says why each one is what it is."""

from __future__ import annotations

# Success status of the three create routes (the Calls overview's "201 Created").
CREATED = 201
# Batch: some calls scheduled, some not (batch guide).
PARTIAL = 207
# Cancelling a call that already ended (completed, failed, cancelled,
# no_answer, busy): 409, the Errors page's status for a request that is well
# formed but conflicts with the resource's state. (400 is kept for requests
# that are malformed.)
CANCEL_ENDED = 409

# Default priority per route: each route's own page wins. Schedule Call
# says 0; the overview, Outbound Call and Batch (`defaultPriority`) say 5.
PRIORITY_DEFAULT = {"schedule": 0, "outbound": 5, "batch": 5}

# List Calls paging (List Calls page): limit default 50, at most 100.
LIST_LIMIT_DEFAULT = 50
LIST_LIMIT_MAX = 100

# Outbound (newer, queued version): the dial waits on the Dial queue this
# long before connecting ("normally under a second").
DIAL_DELAY = 0.8

# Retries. Without intervals or a schedule, attempts are this far apart.
DEFAULT_RETRY_INTERVAL = 3600.0
MAX_RETRIES = 10
# Which outcomes lead to another attempt. Schedule Call has no switches, so
# it retries what the Batch page retries by default; Batch's `retryConfig`
# switches (retryOnNoAnswer, retryOnBusy, retryOnFailed) default as on the
# Batch API page: true, true, false.
RETRY_ON_DEFAULT = ("no_answer", "busy")
RETRY_FLAGS_DEFAULT = {"retryOnNoAnswer": True, "retryOnBusy": True, "retryOnFailed": False}

# Messages the Outbound page documents verbatim.
MSG_AGENT_ID = "Invalid agent ID format"
MSG_E164 = "Phone number must be in E.164 format (+1234567890)"
