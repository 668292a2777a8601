"""`call-emulator serve | openapi`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from emulator import __version__
from emulator.settings import Settings


def _serve_parser(sub) -> None:
    p = sub.add_parser(
        "serve",
        help="Serve both APIs (with demo data by default)",
        description="Serve both APIs and the /_emulator control plane. Every option can also be set as an "
        "environment variable CALL_EMULATOR_<NAME> (e.g. CALL_EMULATOR_JOURNAL_SIZE=50) or in a --config file.",
    )
    fields = Settings.model_fields
    p.add_argument("--host", help=fields["host"].description + " (default 127.0.0.1)")
    p.add_argument("--port", type=int, help=fields["port"].description + " (default 8000)")
    p.add_argument("--seed", type=int, help=fields["seed"].description + " (default 1)")
    p.add_argument("--clock", choices=["realtime", "scaled", "manual"], help=fields["clock"].description + " (default realtime)")
    p.add_argument("--speed", type=float, help=fields["speed"].description + " (default 60)")
    p.add_argument("--now", help=fields["now"].description)
    p.add_argument("--fixtures", type=Path, help=fields["fixtures"].description)
    p.add_argument("--tenants", type=Path, help=fields["tenants"].description)
    p.add_argument("--demo", dest="demo", action="store_true", default=None, help="Generate demo traffic (default)")
    p.add_argument("--no-demo", dest="demo", action="store_false", help="No demo traffic: only fixtures and what you create")
    p.add_argument("--demo-every", type=float, help=fields["demo_every"].description + " (default 8)")
    p.add_argument("--cors-origin", dest="cors_origins", action="append", help="Allowed CORS origin (repeatable)")
    p.add_argument("--log-level", help="Log level: debug, info, warning, error (default info)")
    p.add_argument("--access-log", dest="access_log", action="store_true", default=None, help="Log every request (default: only with --log-level debug)")
    p.add_argument("--no-access-log", dest="access_log", action="store_false", help="No per-request log lines, even at debug level")
    p.add_argument("--strict", dest="strict", action="store_true", default=None, help=fields["strict"].description)
    p.add_argument("--log-format", choices=["text", "json"], help=fields["log_format"].description + " (default text)")
    p.add_argument("--journal-size", type=int, help=fields["journal_size"].description + " (default 1000)")
    p.add_argument("--control-token", help=fields["control_token"].description)
    p.add_argument("--livekit-port", type=int, help=fields["livekit_port"].description + " (default: off)")
    p.add_argument(
        "--config",
        type=Path,
        help="A TOML or YAML file with any of these settings (snake_case keys, e.g. journal_size = 50); "
        "flags win over CALL_EMULATOR_* variables, which win over the file",
    )


def settings_from_args(args: argparse.Namespace) -> Settings:
    given = {k: v for k, v in vars(args).items() if k in Settings.model_fields and v is not None}
    return Settings.load(getattr(args, "config", None), **given)


def _log_config(settings: Settings) -> dict | None:
    if settings.log_format != "json":
        return None
    from emulator.logs import json_log_config

    return json_log_config(settings.log_level)


def serve(settings: Settings) -> int:
    import uvicorn

    from emulator.app import create_app

    try:
        settings.check_exposure()
    except ValueError as exc:
        print(f"call-emulator: {exc}", file=sys.stderr)
        return 2
    app = create_app(settings)
    print(
        f"call-emulator {__version__} on http://{settings.host}:{settings.port}\n"
        f"  Heppu:   http://{settings.host}:{settings.port}/api/v1/calls/call_abc123 (x-api-key: YOUR_API_KEY)\n"
        f"  Trillet: http://{settings.host}:{settings.port}/v2/api/active-calls/<roomName> "
        f"(x-api-key: YOUR_API_KEY, x-workspace-id: 69cf4b468d2a8a6a8e39b684)\n"
        f"  LiveKit: LiveKitAPI(\"http://{settings.host}:{settings.port}\", \"devkey\", \"secret\")\n"
        f"  Dashboard: http://{settings.host}:{settings.port}/_emulator/ui/",
        flush=True,
    )
    log_config = _log_config(settings)
    extra = {"log_config": log_config} if log_config else {}
    if settings.livekit_port is None:
        uvicorn.run(app, host=settings.host, port=settings.port, log_level=settings.log_level.lower(), access_log=settings.logs_access, **extra)
        return 0
    print(f"  LiveKit: http://{settings.host}:{settings.livekit_port} (also on the main port; key devkey, secret secret)", flush=True)
    server = uvicorn.Server(uvicorn.Config(app, log_level=settings.log_level.lower(), access_log=settings.logs_access, **extra))
    server.run(sockets=[_listen(settings.host, settings.port), _listen(settings.host, settings.livekit_port)])
    return 0


def _listen(host: str, port: int):
    """A bound socket; uvicorn serves one app on several of them."""
    import socket

    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host.strip("[]"), port))
    return sock


def openapi(out: Path, check: bool) -> int:
    from emulator.app import PROVIDERS
    from emulator.openapi import control_spec, provider_spec, render

    stale = []
    documents = [(p.name, lambda p=p: provider_spec(p)) for p in PROVIDERS] + [("control", control_spec)]
    for name, build in documents:
        path = out / f"{name}.json"
        text = render(build())
        if check:
            if not path.exists() or path.read_text() != text:
                stale.append(str(path))
        else:
            out.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            print(f"wrote {path}")
    if stale:
        print("out of date (run `call-emulator openapi`): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="call-emulator", description="A local, stateful emulator of Heppu's and Trillet's call APIs.")
    parser.add_argument("--version", action="version", version=f"call-emulator {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    _serve_parser(sub)
    o = sub.add_parser("openapi", help="Write openapi/<provider>.json from the code")
    o.add_argument("--out", type=Path, default=Path("openapi"), help="Folder to write into (default ./openapi)")
    o.add_argument("--check", action="store_true", help="Only check the files are up to date (exit 1 if not)")
    from emulator.contracts import cli as contracts_cli

    contracts_cli.add_parsers(sub)
    args = parser.parse_args(argv)
    if args.command in contracts_cli.COMMANDS:
        return contracts_cli.run(args)
    if args.command == "serve":
        try:
            settings = settings_from_args(args)
        except (ValueError, FileNotFoundError) as exc:  # pydantic's ValidationError is a ValueError
            print(f"call-emulator: invalid settings: {exc}", file=sys.stderr)
            return 2
        return serve(settings)
    if args.command == "openapi":
        return openapi(args.out, args.check)
    return 2
