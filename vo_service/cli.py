"""The ``corot-vo`` command line: demo archive, ingestion, serving, HiPS, registry.

Every command ends with its work done or with one line saying what is wrong and what to
do (:mod:`vo_service.cli_failures`), never with a Python traceback for an operational
condition; ``--debug`` shows the traceback of an unexpected error.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import socket
import sys
import traceback
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from vo_service.cli_failures import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_USAGE, CommandFailed, explain
from vo_service.settings import WILDCARD_HOSTS, Settings, load_settings, served_at
from vo_service.store.base import archive_empty

if TYPE_CHECKING:
    from vo_service.store.duckdb_store import DuckDBStore

log = logging.getLogger("corot_vo.cli")

_LOAD_HINT = ("load one with `corot-vo demo` (the demo archive) "
              "or `corot-vo ingest PATH...` (CoRoT N2 files, catalogues)")


class _Parser(argparse.ArgumentParser):
    """argparse, with usage errors in one line."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _settings(args: argparse.Namespace) -> Settings:
    settings = load_settings(Path(args.config) if args.config else None)
    if args.data_dir:
        settings = settings.model_copy(update={"data_dir": Path(args.data_dir)})
    return settings


def _data_dir(settings: Settings) -> None:
    """Create the data directory if needed; fail in one line when it is not writable."""
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CommandFailed(f"data directory {settings.data_dir}: cannot create it: {exc.strerror or exc}") from None
    if not os.access(settings.data_dir, os.W_OK | os.X_OK):
        raise CommandFailed(f"data directory {settings.data_dir}: not writable by this user")


def _open_store(settings: Settings) -> DuckDBStore:
    from vo_service.store.factory import open_store

    _data_dir(settings)
    return open_store(settings)


def _rows(rows: Mapping[str, int]) -> str:
    return ", ".join(f"{name} {count}" for name, count in rows.items()) or "none"


def cmd_demo(args: argparse.Namespace) -> int:
    """Generate the demo archive into the data directory and ingest it."""
    from archive.fullimage import render_fullimages
    from archive.generator import DemoSize, generate, proprietary_products
    from archive.ingest import AccessPolicy, ingest
    from hips.build import BuildOptions, build_all

    settings = _settings(args)
    store = _open_store(settings)  # first: a locked archive stops the command before any work
    try:
        if args.if_absent and store.count("corot.targets") > 0:
            print(f"demo archive already present in {settings.data_dir}")
            return 0
        size = DemoSize.preset(args.size)
        if args.seed is not None:
            size = DemoSize(size.fraction, size.lightcurves_per_run, size.astero_per_short_run, args.seed)
        print(f"generating the demo archive ({args.size}) in {settings.data_dir}")
        generated = generate(settings.products_dir, size, progress=not args.quiet)
        print(f"generated {len(generated.product_files)} light curves in {generated.seconds:.1f} s")
        proprietary = set(proprietary_products(generated.product_files))
        public = [p for p in generated.product_files if p not in proprietary]
        report = ingest(store, settings.products_dir, [*generated.catalogue_files, *public],
                        progress=not args.quiet)
        coi = ingest(store, settings.products_dir, sorted(proprietary),
                     policy=AccessPolicy("corot-coi", datetime(2030, 1, 1, tzinfo=UTC)), progress=False)
        print(f"ingested {report.products + coi.products} light curves and rows ({_rows(report.rows)}) "
              f"in {report.seconds + coi.seconds:.1f} s")
        for path, reason in report.failures + coi.failures:
            print(f"  skipped {path}: {reason}", file=sys.stderr)
        options = BuildOptions(progress=not args.quiet, render=render_fullimages)
        hips_reports = build_all(settings, store, options=options, log=print)
    except KeyboardInterrupt:
        raise CommandFailed("interrupted: the demo archive is incomplete; run `corot-vo demo` again to finish it",
                            EXIT_INTERRUPTED) from None
    finally:
        store.close()
    hips_ok = all(not r.skipped for r in hips_reports)
    return 0 if report.ok and coi.ok and hips_ok else EXIT_FAILED


def _release_date(text: str) -> datetime:
    """``--release-date``: an ISO date or date-time, UTC unless it says otherwise."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date: {text!r} (e.g. 2030-01-01)") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _group(text: str) -> str:
    """``--group``: an access group as the store accepts it."""
    from vo_service.store.duckdb_store import GROUP_NAME

    if not GROUP_NAME.match(text):
        raise argparse.ArgumentTypeError(f"{text!r}: letters, digits, '_', '.', '-' only (up to 64)")
    return text


def cmd_ingest(args: argparse.Namespace) -> int:
    """Ingest real N2 FITS products and catalogue files; every argument is accounted for."""
    from archive.ingest import AccessPolicy, ingest

    settings = _settings(args)
    try:
        store = _open_store(settings)
        try:
            report = ingest(store, settings.products_dir, [Path(p) for p in args.paths],
                            policy=AccessPolicy(args.group, args.release_date), progress=not args.quiet)
        finally:
            store.close()
    except KeyboardInterrupt:
        raise CommandFailed("interrupted: nothing was ingested, the archive is unchanged", EXIT_INTERRUPTED) from None
    rate = report.products / report.seconds if report.seconds else 0.0
    print(f"ingested {report.products} products ({rate:.0f} files/s), rows: {_rows(report.rows)}; "
          f"{len(report.failures)} refused, {report.seconds:.1f} s")
    for path, reason in report.failures:
        print(f"  refused {path}: {reason}", file=sys.stderr)
    return 0 if report.ok else EXIT_USAGE


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port number (1-65535)")
    return port


def _check_listen(host: str, port: int) -> None:
    """Fail early, in one line, when ``host:port`` cannot be listened on."""
    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise CommandFailed(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise CommandFailed(f"cannot listen on {host}:{port}: {exc.strerror or exc}"
                                " (another server on that port? choose another --port)") from None


def _announce_archive(store: DuckDBStore, settings: Settings, existed: bool) -> None:
    """Say at start-up when the archive is empty (or its directory was just created)."""
    if not existed:
        log.warning("data directory %s did not exist: serving an empty archive; %s", settings.data_dir, _LOAD_HINT)
    elif archive_empty(store):
        log.warning("the archive in %s is empty; %s", settings.data_dir, _LOAD_HINT)


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the archive with uvicorn."""
    import uvicorn

    from vo_service.app import create_app
    from vo_service.logging_setup import configure_logging
    from vo_service.server import uvicorn_config

    configured = _settings(args)
    settings = served_at(configured, args.host, args.port)
    _check_listen(args.host, args.port)
    existed = settings.data_dir.is_dir()
    # Held for the server's lifetime: the app shares this connection, a second server or
    # an ingest finds the archive locked and says by whom.
    store = _open_store(settings)  # creates the data directory if needed
    try:
        configure_logging(settings.log_level, settings.log_json)
        _announce_archive(store, settings, existed)
        if args.host in WILDCARD_HOSTS and "base_url" not in configured.model_fields_set:
            log.warning("listening on every interface with no base_url configured: published URLs use %s; "
                        "set base_url to the address clients use", settings.base_url)
        server = uvicorn.Server(uvicorn_config(create_app(settings), settings, host=args.host, port=args.port))
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C stops the server, after a graceful shutdown
            server.run()
    finally:
        store.close()
    return 0 if server.started else 1


def add_hips_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """``corot-vo hips build|check|install-viewer``, declared by the hips package; the
    archive renders the full-field images of the fields survey."""
    from archive.fullimage import render_fullimages
    from hips.cli import add_hips_parser as add

    add(sub, render=render_fullimages)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="corot-vo", description="CoRoT VO: the demo archive, ingestion, serving, HiPS.")
    parser.add_argument("--config", help="TOML settings file (also COROT_VO_CONFIG)")
    parser.add_argument("--data-dir", help="data directory (default: ./data or COROT_VO_DATA_DIR)")
    parser.add_argument("--debug", action="store_true", help="show the Python traceback of an unexpected error")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser("demo", help="generate and ingest the demo archive")
    demo.add_argument("--size", choices=["tiny", "demo", "full"], default="demo")
    demo.add_argument("--seed", type=int)
    demo.add_argument("--if-absent", action="store_true", help="do nothing if an archive is present")
    demo.add_argument("--quiet", action="store_true", help="no progress bars")
    demo.set_defaults(func=cmd_demo)

    ing = sub.add_parser("ingest", help="ingest N2 FITS files and catalogue files (CSV/Parquet)")
    ing.add_argument("paths", nargs="+", metavar="PATH", help="N2 FITS files, catalogues, directories of them")
    ing.add_argument("--group", type=_group, default="public", help="access group of the products (default public)")
    ing.add_argument("--release-date", type=_release_date, help="end of the proprietary period (ISO date)")
    ing.add_argument("--quiet", action="store_true")
    ing.set_defaults(func=cmd_ingest)

    serve = sub.add_parser("serve", help="serve the archive over HTTP")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=_port, default=8000)
    serve.set_defaults(func=cmd_serve)
    add_hips_parser(sub)
    return parser


def _command(args: argparse.Namespace) -> str:
    hips = getattr(args, "hips_command", None)
    return f"{args.command} {hips}" if hips else str(args.command)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    command = _command(args)
    try:
        return int(args.func(args))
    except (Exception, KeyboardInterrupt) as exc:
        explained = explain(exc, command)
        if explained is None:
            if args.debug:
                traceback.print_exc()
            message = f"unexpected error: {type(exc).__name__}: {exc}".splitlines()[0]
            explained = (f"{message} (--debug shows the traceback)", EXIT_FAILED)
        message, status = explained
        for line in message.splitlines():
            print(f"corot-vo {command}: {line}", file=sys.stderr)
        return status


if __name__ == "__main__":
    sys.exit(main())
