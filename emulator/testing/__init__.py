"""Test-suite helpers: the real emulator on a free port, a typed control
client, and per-test tenants with their own manual clock. The pytest plugin
(emulator.testing.plugin) gives them as fixtures."""

from emulator.testing.client import ControlClient, ControlError
from emulator.testing.server import Emulator
from emulator.testing.tenant import TestTenant

__all__ = ["ControlClient", "ControlError", "Emulator", "TestTenant"]
