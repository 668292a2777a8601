"""A server with a data dir in a subprocess, and killing it the hard way:
what the persistence tests restart and crash."""

from __future__ import annotations

import signal

from emulator.testing import Emulator

# Generous: a subprocess starts slowly on a loaded machine.
STARTUP = 90.0


def server(data_dir, **settings) -> Emulator:
    return Emulator(mode="subprocess", data_dir=str(data_dir), startup_timeout=STARTUP, **settings)


def kill(emu: Emulator) -> None:
    """SIGKILL: no shutdown hook runs."""
    emu._proc.send_signal(signal.SIGKILL)
    emu._proc.wait()
    emu.stop()
