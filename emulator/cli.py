"""`call-emulator serve | openapi`."""

from __future__ import annotations

import argparse
import gc
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from emulator import __version__

if TYPE_CHECKING:
    from emulator.settings import Settings


def _serve_parser(sub) -> None:
    from emulator.settings import Settings

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
    p.add_argument(
        "--allowed-host",
        dest="allowed_hosts",
        action="append",
        help="Also answer requests whose Host header names this host, e.g. the container's service name (repeatable; '*': any)",
    )
    p.add_argument(
        "--webhook",
        dest="webhook_urls",
        action="append",
        metavar="URL",
        help="POST events to URL: every tenant, its vendor's default events (repeatable; see the webhooks setting for more)",
    )
    p.add_argument("--control-token", help=fields["control_token"].description)
    p.add_argument("--livekit-port", type=int, help=fields["livekit_port"].description + " (default: off)")
    p.add_argument("--data-dir", type=Path, help=fields["data_dir"].description)
    p.add_argument("--import", dest="import_file", type=Path, help=fields["import_file"].description)
    p.add_argument("--export-on-exit", type=Path, help=fields["export_on_exit"].description)
    p.add_argument(
        "--config",
        type=Path,
        help="A TOML or YAML file with any of these settings (snake_case keys, e.g. journal_size = 50); "
        "flags win over CALL_EMULATOR_* variables, which win over the file",
    )


def settings_from_args(args: argparse.Namespace) -> Settings:
    from emulator.settings import Settings

    given = {k: v for k, v in vars(args).items() if k in Settings.model_fields and v is not None}
    if getattr(args, "webhook_urls", None):
        given["webhooks"] = [{"url": u} for u in args.webhook_urls]
    return Settings.load(getattr(args, "config", None), **given)


def _log_config(settings: Settings) -> dict | None:
    if settings.log_format != "json":
        return None
    from emulator.logs import json_log_config

    return json_log_config(settings.log_level)


def _fail(message: str) -> int:
    """A refusal a person reads: one line on stderr, exit status 2."""
    print(f"call-emulator: {message}", file=sys.stderr, flush=True)
    return 2


def _listen(host: str, port: int) -> socket.socket:
    """The listening socket, bound before anything is announced."""
    family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def _banner(settings: Settings, port: int) -> str:
    base = f"http://{settings.host}:{port}"
    heppu = f"{base}/api/v1/calls/call_abc123"
    trillet = f"{base}/v2/api/active-calls/<roomName>"
    if settings.log_format == "json":
        from emulator.logs import banner_line

        return banner_line(f"call-emulator {__version__} on {base}", version=__version__, url=base, heppu=heppu, trillet=trillet, dashboard=f"{base}/_emulator/ui/")
    return (
        f"call-emulator {__version__} on {base}\n"
        f"  Heppu:   {heppu} (x-api-key: YOUR_API_KEY)\n"
        f"  Trillet: {trillet} (x-api-key: YOUR_API_KEY, x-workspace-id: 69cf4b468d2a8a6a8e39b684)\n"
        f"  LiveKit: LiveKitAPI(\"{base}\", \"devkey\", \"secret\")"
        + (f" (also on port {settings.livekit_port})" if settings.livekit_port is not None else "")
        + f"\n  Dashboard: {base}/_emulator/ui/"
    )


SERVE_GC_THRESHOLD = 10_000  # the collector's first threshold while serving (Python's default: 700)


def serve(settings: Settings, *, collect: bool = True) -> int:
    """Serve until stopped. Called with the cyclic collector off (see
    main), it turns it back on, if `collect`, once the app is built."""
    import uvicorn

    from emulator.app import create_app

    try:
        settings.check_exposure()
    except ValueError as exc:
        return _fail(str(exc))
    from emulator.core.sqlite_log import DataDirError

    try:
        app = create_app(settings)
    except DataDirError as exc:
        return _fail(str(exc))
    except (OSError, ValueError) as exc:  # unreadable fixtures or tenants
        return _fail(f"cannot load fixtures: {' '.join(str(exc).split())}")
    ports = [settings.port] + ([settings.livekit_port] if settings.livekit_port is not None else [])
    socks = []
    for port in ports:
        try:
            socks.append(_listen(settings.host, port))
        except (OSError, UnicodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            return _fail(f"cannot listen on {settings.host}:{port}: {reason}")
    print(_banner(settings, socks[0].getsockname()[1]), flush=True)
    log_config = _log_config(settings)
    extra = {"log_config": log_config} if log_config else {}
    from emulator.serving import uvicorn_options

    config = uvicorn.Config(app, log_level=settings.log_level.lower(), access_log=settings.logs_access, **uvicorn_options(), **extra)
    # What start-up built (modules, the app, a restored data dir) lives as
    # long as the server: frozen out of the garbage collector's full
    # collections, whose pauses (the slowest requests under load) grow with
    # every object they walk. Not collected first: that would delay the
    # first answer. Replacing the engine (reset, import) unfreezes it
    # (Persistence.rebase): the old one is garbage then.
    gc.freeze()
    # Young collections every 10,000 allocations rather than 700: a create
    # allocates hundreds of objects, most of them gone by its answer, and a
    # collection every two creates (with the full collections that follow)
    # cost a tenth of their time and doubled their p99 (bench/hot_path.py).
    gc.set_threshold(SERVE_GC_THRESHOLD, *gc.get_threshold()[1:])
    if collect:
        gc.enable()
    uvicorn.Server(config).run(sockets=socks)
    return 0


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


def export_dir(data_dir: Path) -> int:
    """Print the state stored in `data_dir` (the GET /_emulator/state
    document). Reads only: a server may be running on the folder."""
    from emulator.app import create_app
    from emulator.core.sqlite_log import DataDirError, SqliteLog
    from emulator.persist import Persistence, export_document, stored_state_exists
    from emulator.settings import Settings

    if not stored_state_exists(data_dir):
        print(f"call-emulator: no stored state in {data_dir}", file=sys.stderr)
        return 2
    try:
        persistence = Persistence(SqliteLog(data_dir, lock=False), read_only=True)
        app = create_app(Settings(demo=False, import_file=None, export_on_exit=None), persistence=persistence)
    except DataDirError as exc:
        print(f"call-emulator: {exc}", file=sys.stderr)
        return 2
    sys.stdout.buffer.write(export_document(app) + b"\n")
    sys.stdout.flush()
    persistence.close()
    return 0


def import_dir(data_dir: Path) -> int:
    """Replace the state stored in `data_dir` by the document on stdin (as
    PUT /_emulator/state). The folder must not be in use by a server."""
    from emulator.app import create_app
    from emulator.control.errors import ControlError
    from emulator.control.state import import_state, parse_state
    from emulator.core.sqlite_log import DataDirError
    from emulator.persist import shut_down
    from emulator.settings import Settings

    try:
        doc = parse_state(sys.stdin.buffer.read())
        app = create_app(Settings(demo=False, data_dir=data_dir, import_file=None, export_on_exit=None))
    except (ControlError, DataDirError) as exc:
        print(f"call-emulator: {getattr(exc, 'message', exc)}", file=sys.stderr)
        return 2
    try:
        import_state(app, doc)
    except ControlError as exc:
        print(f"call-emulator: {exc.message}", file=sys.stderr)
        return 2
    finally:
        shut_down(app)
    print(f"imported {len(doc.tenants)} tenants and {len(doc.calls)} calls into {data_dir}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    # Start-up builds a few hundred thousand objects that live as long as
    # the process (modules, classes, pydantic's and FastAPI's schemas): the
    # cyclic collector would scan them again and again, a tenth of the
    # time to the first answer. It is off until the command runs.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _main(argv, collecting)
    finally:
        if collecting:
            gc.enable()


def _main(argv: list[str] | None, collecting: bool) -> int:
    parser = argparse.ArgumentParser(prog="call-emulator", description="A local, stateful emulator of Heppu's and Trillet's call APIs.")
    parser.add_argument("--version", action="version", version=f"call-emulator {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    _serve_parser(sub)
    o = sub.add_parser("openapi", help="Write openapi/<provider>.json from the code")
    o.add_argument("--out", type=Path, default=Path("openapi"), help="Folder to write into (default ./openapi)")
    o.add_argument("--check", action="store_true", help="Only check the files are up to date (exit 1 if not)")
    e = sub.add_parser("export", help="Print the state stored in a data dir (the GET /_emulator/state document)")
    e.add_argument("data_dir", type=Path, help="The data dir (as serve --data-dir)")
    i = sub.add_parser("import", help="Replace the state stored in a data dir by the document on stdin")
    i.add_argument("data_dir", type=Path, help="The data dir (as serve --data-dir)")
    from emulator.contracts import cli as contracts_cli

    contracts_cli.add_parsers(sub)
    args = parser.parse_args(argv)
    if args.command == "serve":
        from emulator.settings import describe

        try:
            settings = settings_from_args(args)
        except (ValueError, FileNotFoundError) as exc:  # pydantic's ValidationError is a ValueError
            return _fail(f"invalid settings: {describe(exc)}")
        return serve(settings, collect=collecting)
    if collecting:
        gc.enable()
    if args.command in contracts_cli.COMMANDS:
        return contracts_cli.run(args)
    if args.command == "openapi":
        return openapi(args.out, args.check)
    if args.command == "export":
        return export_dir(args.data_dir)
    if args.command == "import":
        return import_dir(args.data_dir)
    return 2
