"""The contract subcommands of `call-emulator`: fuzz, contract, record, replay."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

COMMANDS = ("fuzz", "contract", "record", "replay")


def add_parsers(sub) -> None:
    f = sub.add_parser("fuzz", help="A long schemathesis run over every spec the emulator serves (needs the test extra)")
    f.add_argument("--cases", type=int, default=10_000, help="Generated cases to run at least (default 10000)")
    f.add_argument("--seed", type=int, help="Seed of the generated cases, printed by every run: replays a run (default: random)")
    f.add_argument("--emulator-seed", type=int, default=1, help="Emulator seed (default 1)")
    f.add_argument("--format", choices=["text", "json"], default="text")

    c = sub.add_parser("contract", help="Check the committed spec against a server (the real API or an emulator); exit 1 on drift")
    c.add_argument("--provider", required=True, choices=["heppu", "trillet"])
    c.add_argument("--base-url", required=True, help="e.g. https://v2.heppu.ai or http://127.0.0.1:8000")
    c.add_argument("--api-key", required=True)
    c.add_argument("--workspace-id", help="Trillet workspace id (x-workspace-id)")
    ids = c.add_mutually_exclusive_group()
    ids.add_argument("--call-id", help="A call the key can read (Heppu)")
    ids.add_argument("--room-name", help="A live call's room name (Trillet)")
    c.add_argument("--call-history-id", help="A call history record the key can read (Trillet)")
    c.add_argument("--spec", type=Path, help="Spec to check against (default: the one the emulator publishes)")
    c.add_argument("--format", choices=["text", "json"], default="text")
    c.add_argument("--allow-writes", action="store_true", help="Also run the checks that create, cancel or end calls")
    c.add_argument("--timeout", type=float, default=20.0, help="Seconds per request (default 20)")
    c.add_argument("--live-timeout", type=float, default=60.0,
                   help="With --allow-writes: seconds to wait for a placed call to be live before the writes that need it (default 60)")

    r = sub.add_parser("record", help="Proxy to an upstream, save its responses normalised, check them against the spec")
    r.add_argument("--upstream", required=True, help="Base URL to forward to")
    r.add_argument("--out", required=True, type=Path, help="Folder for the recordings")
    r.add_argument("--host", default="127.0.0.1")
    r.add_argument("--port", type=int, default=8010)

    p = sub.add_parser("replay", help="Compare recordings structurally with a server's own responses")
    p.add_argument("recordings", type=Path, help="Folder written by `call-emulator record`")
    p.add_argument("--base-url", required=True, help="Server to compare with, e.g. an emulator")
    p.add_argument("--header", action="append", default=[], metavar="NAME:VALUE", help="Sent where the recorded request carried NAME (repeatable)")
    p.add_argument("--bind", action="append", default=[], metavar="PLACEHOLDER=VALUE",
                   help="Send VALUE where the recordings have PLACEHOLDER, e.g. id:1=call_abc123 (repeatable); "
                   "ids a replayed response returns are bound by themselves")
    p.add_argument("--format", choices=["text", "json"], default="text")


def run(args: argparse.Namespace) -> int:
    if args.command == "fuzz":
        try:
            from emulator.contracts import fuzz
            import hypothesis  # noqa: F401
            import schemathesis  # noqa: F401
        except ImportError as exc:
            print(f"call-emulator fuzz: needs the test extra ({exc.name} is not installed): pip install -e '.[test]' from a checkout", file=sys.stderr)
            return 2
        return fuzz.main(args.cases, args.emulator_seed, args.format, args.seed)
    if args.command == "contract":
        from emulator.contracts import contract

        return contract.main(args)
    if args.command == "record":
        from emulator.contracts import record

        return record.serve(args.upstream, args.out, args.host, args.port)
    if args.command == "replay":
        from emulator.contracts import record

        return record.replay_main(args)
    return 2
