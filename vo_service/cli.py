"""The ``corot-vo`` command line: demo archive, ingestion, serving, HiPS, registry."""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import UTC, datetime
from pathlib import Path

from vo_service.settings import Settings, load_settings
from vo_service.store.duckdb_store import DuckDBStore

log = logging.getLogger("corot_vo.cli")


def _settings(args: argparse.Namespace) -> Settings:
    settings = load_settings(Path(args.config) if args.config else None)
    if args.data_dir:
        settings = settings.model_copy(update={"data_dir": Path(args.data_dir)})
    return settings


def _open_store(settings: Settings) -> DuckDBStore:
    from vo_service.store.factory import open_store

    return open_store(settings)


def cmd_demo(args: argparse.Namespace) -> int:
    """Generate the demo archive into the data directory and ingest it."""
    from archive.fullimage import render_fullimages
    from archive.generator import DemoSize, generate, proprietary_products
    from archive.ingest import AccessPolicy, ingest
    from hips.build import BuildOptions, build_all

    settings = _settings(args)
    if args.if_absent and settings.database_path.exists():
        store = _open_store(settings)
        try:
            if store.count("corot.targets") > 0:
                print(f"demo archive already present in {settings.data_dir}")
                return 0
        finally:
            store.close()
    size = DemoSize.preset(args.size)
    if args.seed is not None:
        size = DemoSize(size.fraction, size.lightcurves_per_run, size.astero_per_short_run, args.seed)
    print(f"generating the demo archive ({args.size}) in {settings.data_dir}")
    generated = generate(settings.products_dir, size, progress=not args.quiet)
    print(f"generated {len(generated.product_files)} light curves in {generated.seconds:.1f} s")
    store = _open_store(settings)
    try:
        proprietary = set(proprietary_products(generated.product_files))
        public = [p for p in generated.product_files if p not in proprietary]
        report = ingest(store, settings.products_dir, [*generated.catalogue_files, *public],
                        progress=not args.quiet)
        coi = ingest(store, settings.products_dir, sorted(proprietary),
                     policy=AccessPolicy("corot-coi", datetime(2030, 1, 1, tzinfo=UTC)), progress=False)
    finally:
        store.close()
    print(f"ingested {report.products + coi.products} light curves and {report.rows} "
          f"in {report.seconds + coi.seconds:.1f} s")
    for path, reason in report.failures + coi.failures:
        print(f"  skipped {path}: {reason}", file=sys.stderr)
    store = _open_store(settings)
    try:
        options = BuildOptions(progress=not args.quiet, render=render_fullimages)
        hips_reports = build_all(settings, store, options=options, log=print)
    finally:
        store.close()
    hips_ok = all(not r.skipped for r in hips_reports)
    return 0 if report.ok and coi.ok and hips_ok else 1


def cmd_ingest(args: argparse.Namespace) -> int:
    """Ingest real N2 FITS products and catalogue files."""
    from archive.ingest import AccessPolicy, ingest

    settings = _settings(args)
    release = datetime.fromisoformat(args.release_date).replace(tzinfo=UTC) if args.release_date else None
    store = _open_store(settings)
    try:
        report = ingest(store, settings.products_dir, [Path(p) for p in args.paths],
                        policy=AccessPolicy(args.group, release), progress=not args.quiet)
    finally:
        store.close()
    rate = report.products / report.seconds if report.seconds else 0.0
    print(f"ingested {report.products} products ({rate:.0f} files/s), rows {report.rows}, "
          f"{len(report.failures)} refused, {report.seconds:.1f} s")
    for path, reason in report.failures:
        print(f"  refused {path}: {reason}", file=sys.stderr)
    return 0 if report.ok else 2


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the archive with uvicorn."""
    import uvicorn

    from vo_service.app import create_app
    from vo_service.logging_setup import configure_logging
    from vo_service.server import uvicorn_config

    settings = _settings(args)
    if args.port != 8000 or args.host != "127.0.0.1":
        settings = settings.model_copy(update={"base_url": f"http://{args.host}:{args.port}"})
    configure_logging(settings.log_level, settings.log_json)
    server = uvicorn.Server(uvicorn_config(create_app(settings), settings, host=args.host, port=args.port))
    server.run()
    return 0 if server.started else 1


def add_hips_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """``corot-vo hips build|check|install-viewer``, declared by the hips package; the
    archive renders the full-field images of the fields survey."""
    from archive.fullimage import render_fullimages
    from hips.cli import add_hips_parser as add

    add(sub, render=render_fullimages)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="corot-vo", description=__doc__)
    parser.add_argument("--config", help="TOML settings file (also COROT_VO_CONFIG)")
    parser.add_argument("--data-dir", help="data directory (default: ./data or COROT_VO_DATA_DIR)")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="generate and ingest the demo archive")
    demo.add_argument("--size", choices=["tiny", "demo", "full"], default="demo")
    demo.add_argument("--seed", type=int)
    demo.add_argument("--if-absent", action="store_true", help="do nothing if an archive is present")
    demo.add_argument("--quiet", action="store_true", help="no progress bars")
    demo.set_defaults(func=cmd_demo)

    ing = sub.add_parser("ingest", help="ingest N2 FITS files and catalogue files (CSV/Parquet)")
    ing.add_argument("paths", nargs="+")
    ing.add_argument("--group", default="public", help="access group of the products (default public)")
    ing.add_argument("--release-date", help="end of the proprietary period (ISO date)")
    ing.add_argument("--quiet", action="store_true")
    ing.set_defaults(func=cmd_ingest)

    serve = sub.add_parser("serve", help="serve the archive over HTTP")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(func=cmd_serve)
    add_hips_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
