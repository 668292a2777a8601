"""The request path: one context per vendor request, and the thin layer that
resolves it, applies faults and records the journal."""
