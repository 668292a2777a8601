"""The /_emulator plane: everything that is the emulator's own, not a vendor's."""
