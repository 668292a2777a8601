"""The pytest plugin is loaded by every pytest run in an environment where
the package is installed: loading it imports nothing heavy."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = {"fastapi", "starlette", "uvicorn", "httpx", "pydantic", "pydantic_settings", "faker", "orjson", "yaml", "jsonschema_rs", "emulator.app"}


def test_loading_the_plugin_imports_nothing_heavy():
    code = (
        "import json, sys, pytest; before = set(sys.modules); import emulator.testing.plugin; "
        "print(json.dumps(sorted(set(sys.modules) - before)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, stdin=subprocess.DEVNULL, timeout=60).stdout
    loaded = json.loads(out)
    assert not [m for m in loaded if m in HEAVY or m.split(".")[0] in HEAVY], loaded
