"""One package per vendor API. A provider renders core snapshots in its
vendor's words and owns its vendor's error shape; it never changes core."""
