"""Ingestion throughput: N2 FITS files per second and catalogue rows per second.

    python benchmarks/bench_ingest.py [--files 200] [--rows 1000000]

Prints demo-style generation time, FITS files/s through the ingester (validate, checksum,
place, one transaction) and catalogue rows/s for a 1M-row observation log (target: 1M rows
in under 60 s).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from archive.generator import DemoSize, generate
from archive.ingest import ingest
from archive.scale import write_scaled_targets
from vo_service.metadata import load_catalogue
from vo_service.store.duckdb_store import DuckDBStore


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--per-run", type=int, default=6, help="light curves generated per run")
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        generated = generate(root / "products", DemoSize(lightcurves_per_run=args.per_run), progress=False)
        gen_s = time.perf_counter() - t0
        n_files = len(generated.product_files)
        print(f"generation (catalogue + {n_files} FITS light curves): {gen_s:.1f} s")

        store = DuckDBStore(root / "a.duckdb", load_catalogue())
        report = ingest(store, root / "products", generated.product_files, progress=False)
        print(f"FITS ingest: {n_files} files in {report.seconds:.2f} s = {n_files / report.seconds:.0f} files/s")
        again = ingest(store, root / "products", generated.product_files, progress=False)
        print(f"FITS re-ingest (idempotent): {again.seconds:.2f} s, rows {store.count('corot.lightcurves')}")

        t0 = time.perf_counter()
        path = write_scaled_targets(root / "corot_targets.parquet", args.rows)
        print(f"synthesising {args.rows:,} catalogue rows: {time.perf_counter() - t0:.1f} s")
        report = ingest(store, root / "products", [path], progress=False)
        rows = report.rows["corot.targets"]
        print(f"catalogue ingest: {rows:,} rows in {report.seconds:.1f} s = {rows / report.seconds:,.0f} rows/s")
        store.close()


if __name__ == "__main__":
    main()
