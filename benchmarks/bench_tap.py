"""TAP query latency and throughput over HTTP on loopback, against a 1M-row observation log.

    python benchmarks/bench_tap.py [--rows 1000000] [--repeat 15] [--data-dir DIR]

Builds (or reuses, with ``--data-dir``) an archive whose ``corot.targets`` holds ``--rows``
rows (the mission's observation log tiled with fresh IDs and jittered positions, see
:mod:`archive.scale`), serves it with uvicorn in a child process and measures,
through ``/tap/sync`` with httpx:

- point lookup by CoRoT ID (target < 5 ms),
- a 0.1 degree cone (target < 8 ms),
- GROUP BY over the whole table (target < 100 ms),
- 100,000 rows as a BINARY2 VOTable (target < 150 ms),
- 1,000,000 rows streamed, with the server's resident memory sampled meanwhile,
- a 10,000-row upload crossmatched within 2 arcsec (target < 3 s).

Prints the median of ``--repeat`` runs of each (the slow ones run fewer times).
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import tempfile
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import httpx
import numpy as np
from serving import Server, start_server

TARGETS = {
    "point lookup by ID": 5.0,
    "0.1 deg cone": 8.0,
    "GROUP BY over the table": 100.0,
    "100k rows as BINARY2": 150.0,
    "10k-row upload crossmatch (2 arcsec)": 3000.0,
}


def build_archive(data_dir: Path, rows: int) -> None:
    """An archive with a ``rows``-row observation log (and the mission's run table)."""
    from archive.ingest import ingest
    from archive.scale import write_scaled_targets
    from vo_service.metadata import load_catalogue
    from vo_service.settings import Settings
    from vo_service.store.duckdb_store import DuckDBStore

    settings = Settings(data_dir=data_dir)
    settings.products_dir.mkdir(parents=True, exist_ok=True)
    path = write_scaled_targets(data_dir / "corot_targets.parquet", rows)
    store = DuckDBStore(settings.database_path, load_catalogue())
    try:
        report = ingest(store, settings.products_dir, [path], progress=False)
        assert report.ok, report.failures
        store.checkpoint()
    finally:
        store.close()
    path.unlink()


class Client:
    def __init__(self, base: str) -> None:
        self.http = httpx.Client(base_url=base, timeout=600)

    def query(self, adql: str, **params: str) -> bytes:
        response = self.http.post("/tap/sync", data={"LANG": "ADQL", "QUERY": adql, **params})
        response.raise_for_status()
        return response.content

    def upload(self, adql: str, table: bytes) -> bytes:
        response = self.http.post("/tap/sync", data={"LANG": "ADQL", "QUERY": adql, "UPLOAD": "src,param:src"},
                                  files={"src": ("src.xml", table, "application/x-votable+xml")})
        response.raise_for_status()
        return response.content


def median_ms(action: Callable[[], object], repeat: int) -> float:
    action()  # warm-up
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def upload_table(client: Client, n: int) -> bytes:
    """``n`` catalogue positions shifted by up to 1 arcsec, as a VOTable."""
    from astropy.io.votable import from_table, writeto
    from astropy.table import Table

    csv = client.query(f"SELECT TOP {n} ra, dec FROM corot.targets WHERE MOD(corot_id, 97) = 0",
                       RESPONSEFORMAT="csv").decode().splitlines()[1:]
    ra, dec = np.array([[float(v) for v in line.split(",")] for line in csv]).T
    rng = np.random.default_rng(1)
    shift = 1.0 / 3600
    table = Table({"ra": ra + rng.uniform(-shift, shift, ra.size), "dec": dec + rng.uniform(-shift, shift, ra.size)})
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        writeto(from_table(table), buffer)
    return buffer.getvalue()


def stream_million(client: Client, server: Server) -> tuple[float, float, float, int]:
    """Seconds, server RSS before and peak (MiB), bytes received for 1M rows."""
    before = server.rss_mib()
    peak = before
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.05):
            peak = max(peak, server.rss_mib())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    received = 0
    started = time.perf_counter()
    data = {"LANG": "ADQL", "QUERY": "SELECT corot_id, run_code, ra, dec, vmag FROM corot.targets",
            "MAXREC": "1000000"}
    with client.http.stream("POST", "/tap/sync", data=data) as response:
        for chunk in response.iter_bytes():
            received += len(chunk)
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    return seconds, before, peak, received


def run(data_dir: Path, repeat: int) -> None:
    server = start_server(data_dir, {"LOG_LEVEL": "WARNING", "LIMITS__MAXREC_HARD": "2000000",
                                     "LIMITS__SYNC_TIMEOUT_S": "300"})
    base = server.base
    try:
        client = Client(base)
        sample = client.query("SELECT TOP 1 corot_id, ra, dec FROM corot.targets WHERE MOD(corot_id, 7) = 3",
                              RESPONSEFORMAT="csv").decode().splitlines()[1].split(",")
        corot_id, ra, dec = int(sample[0]), float(sample[1]), float(sample[2])
        results = {
            "point lookup by ID": median_ms(lambda: client.query(
                f"SELECT corot_id, run_code, ra, dec, vmag, spectral_type FROM corot.targets "
                f"WHERE corot_id = {corot_id}"), repeat),
            "0.1 deg cone": median_ms(lambda: client.query(
                f"SELECT corot_id, run_code, ra, dec, vmag FROM corot.targets "
                f"WHERE DISTANCE(POINT(ra, dec), POINT({ra}, {dec})) < 0.1"), repeat),
            "GROUP BY over the table": median_ms(lambda: client.query(
                "SELECT run_code, channel, COUNT(*) AS n, AVG(vmag) AS mean_v FROM corot.targets "
                "GROUP BY run_code, channel"), repeat),
            "100k rows as BINARY2": median_ms(lambda: client.query(
                "SELECT TOP 100000 corot_id, run_code, ra, dec, vmag, bmag, rmag, spectral_type FROM corot.targets",
                MAXREC="100000", RESPONSEFORMAT="votable/b2"), repeat),
        }
        table = upload_table(client, 10_000)
        crossmatch = ("SELECT s.ra, s.dec, t.corot_id, t.run_code FROM TAP_UPLOAD.src AS s JOIN corot.targets AS t "
                      "ON DISTANCE(POINT(s.ra, s.dec), POINT(t.ra, t.dec)) < 2.0 / 3600")
        results["10k-row upload crossmatch (2 arcsec)"] = median_ms(
            lambda: client.upload(crossmatch, table), max(3, repeat // 5))
        seconds, before, peak, received = stream_million(client, server)
    finally:
        server.stop()
    print(f"{'measure':42s} {'median':>10s} {'target':>10s}")
    for name, value in results.items():
        target = TARGETS[name]
        verdict = "ok" if value < target else "SLOW"
        print(f"{name:42s} {value:8.1f} ms {target:8.0f} ms  {verdict}")
    print(f"{'1M rows streamed (BINARY2)':42s} {seconds * 1000:8.0f} ms   {received / 2**20:.0f} MiB received, "
          f"{1e6 / seconds:,.0f} rows/s")
    print(f"{'server memory during the 1M-row stream':42s} {before:8.0f} MiB -> peak {peak:.0f} MiB "
          f"(+{peak - before:.0f} MiB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--data-dir", type=Path, help="archive to reuse (built there if absent)")
    args = parser.parse_args()
    if args.data_dir is not None:
        if not (args.data_dir / "archive.duckdb").exists():
            started = time.perf_counter()
            build_archive(args.data_dir, args.rows)
            print(f"built a {args.rows:,}-row catalogue in {time.perf_counter() - started:.0f} s")
        run(args.data_dir, args.repeat)
        return
    with tempfile.TemporaryDirectory(prefix="bench-tap-") as tmp:
        started = time.perf_counter()
        build_archive(Path(tmp), args.rows)
        print(f"built a {args.rows:,}-row catalogue in {time.perf_counter() - started:.0f} s "
              f"(pid {os.getpid()})")
        run(Path(tmp), args.repeat)


if __name__ == "__main__":
    main()
