"""``corot-vo hips ...``: build, check the HiPS and MOCs, fetch the viewer.

``vo_service/cli.py`` wires :func:`add_hips_parser` into its sub-commands; the functions
here take the parsed arguments (with the global ``--config`` and ``--data-dir``).  Heavy
modules are imported inside the commands so that ``corot-vo --help`` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from functools import partial
from pathlib import Path

from vo_service.fullimages import ImageRenderer
from vo_service.settings import Settings, load_settings


def _settings(args: argparse.Namespace) -> Settings:
    settings = load_settings(Path(args.config) if getattr(args, "config", None) else None)
    if getattr(args, "data_dir", None):
        settings = settings.model_copy(update={"data_dir": Path(args.data_dir)})
    return settings


def cmd_hips_build(args: argparse.Namespace, render: ImageRenderer | None = None) -> int:
    """Build the HiPS and MOCs under the data directory (incremental, parallel).

    ``render`` (the archive's, wired by ``corot-vo``) renders the public runs' full-field
    images first; without it the fields survey uses the images already rendered.

    Exit status 0 when every input was used, 2 when some were refused (they are named on
    stderr; the surveys are built from the others and stay consistent).
    """
    from hips.build import BuildOptions, build_all
    from vo_service.store.factory import open_store

    settings = _settings(args)
    surveys = tuple(s.strip() for s in args.surveys.split(",") if s.strip())
    options = BuildOptions(surveys=surveys, workers=max(1, args.workers), resolution=args.resolution,
                           max_order=args.max_order, images=tuple(Path(p) for p in args.images or ()),
                           full=args.full_rebuild, progress=not args.quiet, render=render)
    store = open_store(settings)
    if store.count("corot.targets") == 0:
        store.close()
        print(f"corot-vo hips build: the archive in {settings.data_dir} is empty, nothing to build; "
              "load it first with `corot-vo demo` or `corot-vo ingest PATH...`", file=sys.stderr)
        return 1
    try:
        reports = build_all(settings, store, not args.quiet, options=options, log=print)
    except ValueError as exc:
        print(f"corot-vo hips build: {exc}", file=sys.stderr)
        return 1
    finally:
        store.close()
    refused = [(r.survey, path, reason) for r in reports for path, reason in r.skipped]
    for survey, path, reason in refused:
        print(f"{survey}: refused input {path}: {reason}", file=sys.stderr)
    return 2 if refused else 0


def cmd_hips_check(args: argparse.Namespace) -> int:
    """Check the built surveys (tiles under the MOC, formats, hierarchy, properties)."""
    from hips.check import check_survey

    settings = _settings(args)
    names = args.surveys.split(",") if args.surveys else ["fields", "targets"]
    status = 0
    for name in names:
        if not (settings.hips_dir / name.strip()).is_dir():
            print(f"{name}: not built in {settings.hips_dir} (run `corot-vo hips build`)", file=sys.stderr)
            status = 1
            continue
        result = check_survey(settings.hips_dir / name.strip())
        print(f"{name}: {'ok' if result.ok else 'FAILED'} ({result.tiles} tiles checked)")
        for error in result.errors[:50]:
            print(f"  {error}")
        status |= 0 if result.ok else 1
    return status


def cmd_hips_viewer(args: argparse.Namespace) -> int:
    """Fetch Aladin Lite from the npm registry for the viewer page."""
    from hips.viewer import main as viewer_main

    return viewer_main(["--version", args.version] + (["--if-absent"] if args.if_absent else []))


def add_hips_parser(sub: argparse._SubParsersAction,  # type: ignore[type-arg]
                    render: ImageRenderer | None = None) -> None:
    """Add ``hips build|check|install-viewer`` to the ``corot-vo`` sub-commands; ``hips build``
    renders the full-field images with ``render`` when given."""
    from hips.build import SURVEYS
    from hips.viewer import ALADIN_LITE_VERSION
    from vo_service.fullimages import RESOLUTIONS

    hips = sub.add_parser("hips", help="build and check the HiPS and MOCs of the archive")
    actions = hips.add_subparsers(dest="hips_command", required=True, metavar="ACTION")

    build = actions.add_parser("build", help="build the HiPS and MOCs (incremental)")
    build.add_argument("--surveys", default=",".join(SURVEYS), help=f"comma-separated, among {', '.join(SURVEYS)}")
    build.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    build.add_argument("--resolution", choices=sorted(RESOLUTIONS), default="demo",
                       help="full-field image resolution: demo (4x4 binned, order 6) or full (2.32\"/px, order 8)")
    build.add_argument("--max-order", type=int, help="cap the deepest order of the fields HiPS")
    build.add_argument("--images", action="append", metavar="DIR",
                       help="extra folder of FITS images with a celestial WCS (repeatable)")
    build.add_argument("--full-rebuild", action="store_true", help="ignore the manifests and rebuild everything")
    build.add_argument("--quiet", action="store_true", help="no progress bars")
    build.set_defaults(func=partial(cmd_hips_build, render=render))

    check = actions.add_parser("check", help="check the built surveys")
    check.add_argument("--surveys", default="fields,targets")
    check.set_defaults(func=cmd_hips_check)

    viewer = actions.add_parser("install-viewer", help="fetch Aladin Lite from the npm registry")
    viewer.add_argument("--version", default=ALADIN_LITE_VERSION)
    viewer.add_argument("--if-absent", action="store_true")
    viewer.set_defaults(func=cmd_hips_viewer)


__all__ = ["add_hips_parser", "cmd_hips_build", "cmd_hips_check", "cmd_hips_viewer"]
