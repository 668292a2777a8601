"""Test-suite helpers: the real emulator on a free port, a typed control
client, and per-test tenants with their own manual clock. The pytest plugin
(emulator.testing.plugin) gives them as fixtures.

Names are imported on first use: the plugin lives in this package and is
loaded by every pytest run in the environment, which must not pay for them."""

from importlib import import_module

_WHERE = {
    "ControlClient": "emulator.testing.client",
    "ControlError": "emulator.testing.client",
    "Emulator": "emulator.testing.server",
    "TestTenant": "emulator.testing.tenant",
}

__all__ = list(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(import_module(_WHERE[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
