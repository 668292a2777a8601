"""call-emulator: a local, stateful emulator of Heppu's and Trillet's call APIs."""

__version__ = "0.1.0"
