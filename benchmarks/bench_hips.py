"""HiPS building and serving: time, peak memory, tiles per second.

    python benchmarks/bench_hips.py [--data-dir DIR] [--workers 2] [--run LRa01] [--clients 8] [--seconds 8]

1. the demo surveys (fields at demo resolution, targets, MOCs) built from scratch, then
   rebuilt with nothing changed (the incremental path);
2. one run at full resolution (its four 2048×2048 CCD images at 2.32"/px, order 8), built
   by this builder and by CDS Hipsgen on the same images (reference: Hipsgen builds a
   4655×4655 2.32"/px field in about 16 s with ~400 MB peak);
3. tile serving through uvicorn on loopback with concurrent clients (target > 1000 tiles/s).

Each build runs in its own process; peak memory is the largest sum of the resident sizes
of that process and its children (the worker pool), sampled every 50 ms from /proc.
Without ``--data-dir`` a demo archive is generated in a temporary folder first.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from serving import ROOT, load, start_server

ALADIN_JAR = Path("/usr/share/java/aladin.jar")


# -- measuring a process tree --------------------------------------------------------------
def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry))
    return found


def _tree_rss(pid: int) -> int:
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            with open(f"/proc/{current}/status", encoding="ascii") as handle:
                for line in handle:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
        except OSError:
            continue
        stack.extend(_children(current))
    return total


def measure(command: list[str], env: dict[str, str] | None = None) -> tuple[float, int, str]:
    """(wall seconds, peak tree RSS bytes, output) of a command."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={**os.environ, **(env or {})})
    peak = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, _tree_rss(process.pid))
            stop.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = process.communicate()
    stop.set()
    sampler.join()
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:4])}... failed:\n{output[-2000:]}")
    return time.perf_counter() - started, peak, output


def stage(name: str, data_dir: Path, **options: str) -> tuple[float, int, str]:
    arguments = [sys.executable, __file__, "--stage", name, "--data-dir", str(data_dir)]
    for key, value in options.items():
        arguments += [f"--{key.replace('_', '-')}", value]
    return measure(arguments, env={"PYTHONPATH": str(ROOT)})


# -- stages (run in their own process) --------------------------------------------------------
def run_stage(args: argparse.Namespace) -> None:
    from archive.fullimage import render_fullimages
    from hips.build import BuildOptions, build_all
    from hips.build_image import ImageSurveySpec, build_image_survey
    from vo_service.settings import Settings
    from vo_service.store.factory import open_store

    settings = Settings(data_dir=args.data_dir, log_json=False)
    if args.stage in {"demo", "incremental"}:
        store = open_store(settings)
        try:
            options = BuildOptions(workers=args.workers, resolution="demo", progress=False,
                                   full=args.stage == "demo", render=render_fullimages)
            for report in build_all(settings, store, options=options):
                print(report.summary())
        finally:
            store.close()
    elif args.stage == "render-full":
        store = open_store(settings)
        try:
            rendered = render_fullimages(store, args.data_dir / "bench" / "images", binning=1, run_codes=[args.run])
            print(f"{len(rendered.images)} full-resolution images of {args.run}")
        finally:
            store.close()
    elif args.stage == "full-run":
        out = args.data_dir / "bench" / "ours"
        shutil.rmtree(out, ignore_errors=True)
        report = build_image_survey(out, [args.data_dir / "bench" / "images" / args.run], ImageSurveySpec(order=8),
                                    {"creator_did": "ivo://bench/fields", "obs_title": "bench"},
                                    workers=args.workers, progress=False)
        print(report.summary())


# -- main ---------------------------------------------------------------------------------------------
def generate_archive(data_dir: Path) -> None:
    code = (
        "from pathlib import Path; from archive.generator import DemoSize, generate; "
        "from archive.ingest import ingest; from vo_service.settings import Settings; "
        "from vo_service.store.factory import open_store; "
        f"s = Settings(data_dir=Path({str(data_dir)!r})); "
        "g = generate(s.products_dir, DemoSize(lightcurves_per_run=1), progress=False); "
        "st = open_store(s); ingest(st, s.products_dir, [*g.catalogue_files, *g.product_files], progress=False); "
        "st.close()"
    )
    subprocess.run([sys.executable, "-c", code], check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})


def mb(value: int) -> str:
    return f"{value / 2**20:.0f} MB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, help="an ingested archive (default: generate a demo one)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--run", default="LRa01", help="run built at full resolution")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--no-hipsgen", action="store_true")
    parser.add_argument("--stage", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage:
        run_stage(args)
        return

    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.data_dir or Path(tmp) / "archive"
        if args.data_dir is None:
            started = time.perf_counter()
            generate_archive(data_dir)
            print(f"demo archive generated and ingested in {time.perf_counter() - started:.0f} s")
        workers = str(args.workers)

        seconds, peak, output = stage("demo", data_dir, workers=workers)
        print(f"demo surveys from scratch ({args.workers} workers): {seconds:.1f} s, peak {mb(peak)}")
        print("  " + output.strip().replace("\n", "\n  "))
        seconds, peak, _ = stage("incremental", data_dir, workers=workers)
        print(f"demo surveys rebuilt, nothing changed: {seconds:.1f} s, peak {mb(peak)}")

        stage("render-full", data_dir, run=args.run)
        images = data_dir / "bench" / "images" / args.run
        n_pixels = sum(p.stat().st_size for p in images.glob("*.fits")) // 4
        seconds, peak, output = stage("full-run", data_dir, workers=workers, run=args.run)
        print(f"{args.run} at full resolution ({n_pixels / 1e6:.1f} Mpixel, order 8, FITS+PNG), this builder: "
              f"{seconds:.1f} s, peak {mb(peak)}")
        print("  " + output.strip().replace("\n", "\n  "))
        if not args.no_hipsgen and ALADIN_JAR.exists() and shutil.which("java"):
            out = data_dir / "bench" / "hipsgen"
            shutil.rmtree(out, ignore_errors=True)
            seconds, peak, _ = measure(["java", "-Xmx2g", "-jar", str(ALADIN_JAR), "-hipsgen", "-nocolor",
                                        f"in={images}", f"out={out}", "id=bench/P/corot", "order=8",
                                        "INDEX", "TILES", "PNG"])
            print(f"{args.run} at full resolution, CDS Hipsgen (INDEX TILES PNG): {seconds:.1f} s, peak {mb(peak)}")
        elif args.no_hipsgen:
            print("Hipsgen comparison skipped (--no-hipsgen)")
        else:
            print("Hipsgen comparison skipped (java or /usr/share/java/aladin.jar missing)")

        hips = data_dir / "hips"
        tiles = {ext: [f"/hips/{p.relative_to(hips)}" for p in hips.glob(f"*/Norder*/Dir*/Npix*.{ext}")]
                 for ext in ("png", "tsv", "fits")}
        server = start_server(data_dir, {"LOG_LEVEL": "WARNING"})
        try:
            load(server, tiles["png"], clients=args.clients, seconds=1.0)  # warm-up
            for label, paths in (("PNG tiles", tiles["png"]), ("TSV tiles", tiles["tsv"]),
                                 ("FITS tiles (1 MB each)", tiles["fits"])):
                result = load(server, paths, clients=args.clients, seconds=args.seconds)
                print(f"serving {label}, {args.clients} concurrent clients on loopback: {result.rate:.0f} tiles/s, "
                      f"{result.size / result.seconds / 2**20:.0f} MB/s, {result.errors} errors")
        finally:
            server.stop()
        print("(target: > 1000 tiles/s)")


if __name__ == "__main__":
    main()
