"""Limits every request meets before a route sees it (README "Limits")."""

from __future__ import annotations

# Largest request body: the control plane's limit, and the ceiling no vendor
# route exceeds (a vendor may set a lower one of its own).
MAX_BODY_BYTES = 1024 * 1024
# JSON bodies nest at most this deep (the body itself is level 1). What is
# accepted is stored and exported: an export carries a vendor body's values
# a few levels deeper, so an imported state may nest deeper still.
MAX_JSON_DEPTH = 32
MAX_STATE_DEPTH = MAX_JSON_DEPTH + 16
# The query string: at most this many bytes (414 beyond) and parameters (400).
MAX_QUERY_BYTES = 8 * 1024
MAX_QUERY_PARAMS = 64
# Seconds a client may take to send a request's headers, and its body.
HEADER_TIMEOUT = 10.0
BODY_TIMEOUT = 30.0
# A request's header block: at most this many bytes and header lines (431 beyond).
MAX_HEADER_BYTES = 16 * 1024
MAX_HEADERS = 100
# A scan over more stored calls than this runs in a worker thread, so the
# event loop keeps answering other requests.
OFFLOAD_SCAN = 2000
# Seconds a stopping server gives requests still in flight (event streams,
# which never end by themselves, are closed after it).
SHUTDOWN_GRACE = 2.0
