"""Logging as JSON lines (one object per record) for log collectors."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


def json_log_config(level: str = "info") -> dict:
    """A logging dictConfig for uvicorn and the emulator, JSON lines on stderr."""
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    loggers = {name: {"handlers": ["json"], "level": level.upper(), "propagate": False} for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "emulator")}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "emulator.logs.JsonLines"}},
        "handlers": {"json": handler},
        "loggers": loggers,
    }


def banner_line(message: str, **fields) -> str:
    """The start-up banner as one JSON line in the shape of the log records."""
    now = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return json.dumps({"time": now, "level": "info", "logger": "emulator", "message": message, **fields}, ensure_ascii=False)
