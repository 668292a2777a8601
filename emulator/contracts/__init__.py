"""Contracts: the emulator checked against its own specs (strict mode), and
the specs checked against any server (contract, record, replay)."""
