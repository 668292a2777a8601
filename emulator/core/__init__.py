"""Vendor-neutral call engine: no HTTP, no vendor names."""
