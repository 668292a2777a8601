#!/bin/sh
# The long schemathesis run: at least 10,000 generated cases across every
# route the emulator serves. Extra arguments go to `call-emulator fuzz`.
set -e
cd "$(dirname "$0")/.."
PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" exec python -m emulator fuzz --cases 10000 "$@"
