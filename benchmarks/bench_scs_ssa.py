"""Latency and throughput of the cone search, SSA, light-curve downloads and previews.

    python benchmarks/bench_scs_ssa.py [--rows 1000000] [--seconds 5] [--clients 8]

Builds a temporary archive: a scaled-up observation log of ``--rows`` rows (the real
catalogue tiled with fresh IDs and jittered positions, :mod:`archive.scale`), a
small demo set of N2 light curves, and one asteroseismology light curve of about 100 000
points.  It serves them with ``corot-vo serve`` in its own process on 127.0.0.1 (request log
at INFO into /dev/null, as in production minus the disk) and prints:

- SCS, 0.1 degree cones at random targets (BINARY2, the default VERB): median and p95
  latency of one client's requests, and requests per second with ``--clients`` concurrent
  keep-alive clients (targets: < 5 ms, > 250 req/s), plus the server's memory;
- the same cone search without HTTP (the service core only), to show the HTTP share;
- SSA queryData (POS + SIZE) latency (target < 10 ms);
- the 100k-point light curve as a VOTable time series (target < 100 ms);
- a PNG preview, cold (rendered) and cached.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import httpx
import numpy as np
import numpy.typing as npt
from serving import Server, load, start_server

from archive.generator import DemoSize, generate
from archive.ingest import ingest
from archive.lcsim import LightCurveSpec, simulate
from archive.n2fits import write_n2
from archive.scale import write_scaled_targets
from cone.service import ConeService
from vo_service.access import Viewer
from vo_service.logging_setup import configure_logging
from vo_service.metadata import load_catalogue
from vo_service.params import DaliParams
from vo_service.settings import Settings
from vo_service.store.base import Cone, Query
from vo_service.store.duckdb_store import DuckDBStore
from vo_service.store.factory import open_store

CONE_RADIUS = 0.1
TABLEDATA = "application/x-votable+xml;serialization=tabledata"


def build_archive(root: Path, rows: int) -> tuple[Settings, str]:
    """The benchmark archive; returns its settings and the id of the 100k-point product."""
    settings = Settings(data_dir=root / "data")
    started = time.perf_counter()
    generated = generate(root / "incoming", DemoSize(fraction=0.02, lightcurves_per_run=1, astero_per_short_run=0),
                         progress=False)
    start = datetime(2010, 3, 5, 0, 15, 25, tzinfo=UTC)
    spec = LightCurveSpec(corot_id=1615, run_code="SRa03", product_type="AN2_STAR", hlfccdid="A1L", win_id=1,
                          ra=101.64, dec=-1.32, vmag=8.3, teff=6500.0, star_name="HD 49933",
                          t_start=start, t_end=start + timedelta(seconds=32 * 100_000), cadence_s=32, seed=11)
    big = root / "incoming" / spec.file_name
    write_n2(big, spec, simulate(spec))
    catalogue_path = write_scaled_targets(root / "incoming" / "corot_targets_scaled.parquet", rows)
    store = DuckDBStore(settings.database_path, load_catalogue())
    try:
        report = ingest(store, settings.products_dir,
                        [catalogue_path, generated.catalogue_files[1], *generated.product_files, big], progress=False)
        assert report.ok, report.failures
    finally:
        store.close()
    print(f"archive: {rows:,} catalogue rows, {len(generated.product_files) + 1} light curves, "
          f"built in {time.perf_counter() - started:.1f} s")
    return settings, spec.file_name.removesuffix(".fits")


def timings(call: Callable[[], object], repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        out.append((time.perf_counter() - started) * 1000)
    return out


def report(label: str, values: list[float], target: str = "") -> None:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    print(f"{label:<46} median {statistics.median(values):7.2f} ms   p95 {p95:7.2f} ms   n={len(values)}"
          + (f"   (target {target})" if target else ""))


def cone_positions(settings: Settings, count: int, seed: int = 1) -> npt.NDArray[np.float64]:
    store = open_store(settings)
    try:
        sample = store.fetch_table('SELECT ra, dec FROM "corot"."targets" USING SAMPLE 2000 ROWS')
    finally:
        store.close()
    rng = np.random.default_rng(seed)
    chosen = rng.integers(0, sample.num_rows, count)
    positions = np.column_stack([sample.column("ra").to_numpy(), sample.column("dec").to_numpy()])
    return positions[chosen]


def cone_paths(positions: npt.NDArray[np.float64], **extra: str) -> list[str]:
    query = "".join(f"&{name}={quote(value)}" for name, value in extra.items())
    return [f"/scs/scs.xml?RA={ra:.6f}&DEC={dec:.6f}&SR={CONE_RADIUS}{query}" for ra, dec in positions]


def bench_scs(server: Server, positions: npt.NDArray[np.float64], seconds: float, clients: int) -> None:
    paths = cone_paths(positions)
    load(server, paths, clients=1, seconds=5, requests_per_client=50)  # warm-up
    single = load(server, paths, clients=1, seconds=60, requests_per_client=500)
    print(f"{f'SCS {CONE_RADIUS} deg, one client':<46} median {single.median:7.2f} ms   "
          f"p95 {single.percentile(0.95):7.2f} ms   n={single.done}   (target < 5 ms)")
    with httpx.Client(timeout=30) as client:
        rows = [client.get(server.base + path).content.count(b"<TR>")
                for path in cone_paths(positions[:100], RESPONSEFORMAT=TABLEDATA)]
    print(f"{'':<46} rows per cone: median {statistics.median(rows):.0f}, max {max(rows)}, "
          f"{single.size / max(single.done, 1) / 1024:.0f} KiB per answer")
    busy = load(server, paths, clients=clients, seconds=seconds)
    print(f"{f'SCS {CONE_RADIUS} deg, {clients} concurrent clients':<46} {busy.rate:7.0f} req/s   "
          f"({busy.done} answers, {busy.errors} errors in {busy.seconds:.1f} s; median {busy.median:.1f} ms, "
          f"p95 {busy.percentile(0.95):.1f} ms; target > 250 req/s)")
    print(f"{'server resident memory':<46} {server.rss_mib():7.0f} MiB")


def bench_scs_core(settings: Settings, positions: npt.NDArray[np.float64]) -> None:
    """The cone search without HTTP: parameters, store query, VOTable encoding; and the
    store query alone, from the resident copy and from DuckDB."""
    store = open_store(settings)
    on_disk = DuckDBStore(settings.database_path, store.catalogue, read_only=True)
    try:
        store.preload("corot.targets")
        service = ConeService.build(settings, store.catalogue, store)
        viewer = Viewer()
        counter = iter(range(10**9))

        def one() -> None:
            ra, dec = positions[next(counter) % len(positions)]
            params = DaliParams([("RA", f"{ra:.6f}"), ("DEC", f"{dec:.6f}"), ("SR", str(CONE_RADIUS))])
            chunks, _ = service.respond(store, viewer, "targets", params)
            b"".join(chunks)

        timings(one, 20)
        report(f"SCS {CONE_RADIUS} deg, service core (no HTTP)", timings(one, 300))
        columns = service.endpoints["targets"].column_sets[2].stored

        def select_only(source: DuckDBStore) -> None:
            ra, dec = positions[next(counter) % len(positions)]
            query = Query("corot.targets", columns, where=(Cone(float(ra), float(dec), CONE_RADIUS),), limit=10_001)
            for _ in source.select(query, viewer):
                pass

        report(f"SCS {CONE_RADIUS} deg, of which store.select", timings(lambda: select_only(store), 300))
        report("  the same select from DuckDB (not resident)", timings(lambda: select_only(on_disk), 100))
    finally:
        on_disk.close()
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the scaled observation log")
    parser.add_argument("--seconds", type=float, default=5.0, help="duration of the throughput run")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients of the throughput run")
    args = parser.parse_args()
    configure_logging("INFO", json=True)
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(open(os.devnull, "w"))  # noqa: SIM115 - kept open for the whole run

    with tempfile.TemporaryDirectory(prefix="bench-scs-ssa-") as tmp:
        settings, big_product = build_archive(Path(tmp), args.rows)
        positions = cone_positions(settings, 1000)
        server = start_server(settings.data_dir, {"LOG_LEVEL": "INFO"})
        base = server.base
        try:
            bench_scs(server, positions, args.seconds, args.clients)
            with httpx.Client(timeout=60) as client:
                def ssa() -> None:
                    ra, dec = positions[int(time.perf_counter_ns()) % len(positions)]
                    client.get(f"{base}/ssa/ssap.xml", params={"REQUEST": "queryData", "POS": f"{ra:.5f},{dec:.5f}",
                                                               "SIZE": "0.5"}).raise_for_status()

                timings(ssa, 10)
                report("SSA queryData POS+SIZE (0.5 deg)", timings(ssa, 100), "< 10 ms")

                def series() -> None:
                    response = client.get(f"{base}/ssa/products/{big_product}.vot")
                    response.raise_for_status()

                timings(series, 2)
                points = client.get(f"{base}/ssa/products/{big_product}.csv").text.count("\n") - 1
                report(f"light curve as VOTable ({points:,} points)", timings(series, 15), "< 100 ms")

                preview_dir = settings.cache_dir / "ssa-previews"

                def cold() -> None:
                    for cached in preview_dir.glob(f"{big_product}-*.png"):
                        cached.unlink()
                    client.get(f"{base}/ssa/preview/{big_product}.png").raise_for_status()

                report("PNG preview, cold (100k points)", timings(cold, 5))
                report("PNG preview, cached", timings(
                    lambda: client.get(f"{base}/ssa/preview/{big_product}.png").raise_for_status(), 50))
        finally:
            server.stop()
        bench_scs_core(settings, positions)


if __name__ == "__main__":
    main()
