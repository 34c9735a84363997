"""Result-writer throughput: MB/s, rows/s and peak RSS per output format.

    python benchmarks/bench_votable_writer.py [--rows 1000000] [--batch-rows 20000]
                                              [--formats votable/b2,votable/td,...]

Rows are 12 typical catalogue columns (ids, positions, magnitudes, flags, names, an ISO
timestamp, a point) in Arrow record batches, as the store delivers them.  A small pool of
batches is generated once and cycled, so the figures are those of the encoders alone.
Peak RSS is sampled after every chunk, i.e. the resident memory while streaming.
"""

from __future__ import annotations

import argparse
import itertools
import os
import time
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from vo_service.metadata import ColumnMeta
from vo_service.votable.formats import resolve_format

COLUMNS = (
    ColumnMeta(name="id", datatype="long", ucd="meta.id;meta.main"),
    ColumnMeta(name="ra", datatype="double", unit="deg", ucd="pos.eq.ra;meta.main"),
    ColumnMeta(name="dec", datatype="double", unit="deg", ucd="pos.eq.dec;meta.main"),
    ColumnMeta(name="mag_v", datatype="float", unit="mag"),
    ColumnMeta(name="mag_r", datatype="float", unit="mag"),
    ColumnMeta(name="e_mag", datatype="double", unit="mag"),
    ColumnMeta(name="n_obs", datatype="int"),
    ColumnMeta(name="quality", datatype="short"),
    ColumnMeta(name="variable", datatype="boolean"),
    ColumnMeta(name="name", datatype="char", arraysize="*"),
    ColumnMeta(name="date_obs", datatype="char", xtype="timestamp"),
    ColumnMeta(name="pos", datatype="double", xtype="point", unit="deg"),
)
DEFAULT_FORMATS = "votable/b2,votable/b,votable/td,csv,tsv,fits,parquet"
POOL = 8


def make_batch(start: int, size: int, rng: np.random.Generator) -> pa.RecordBatch:
    ids = pa.array(np.arange(start, start + size, dtype=np.int64))
    ra, dec = rng.uniform(0, 360, size), rng.uniform(-90, 90, size)
    offsets = pa.array(np.arange(size + 1, dtype=np.int32) * 2)
    return pa.record_batch(
        [
            ids,
            pa.array(ra),
            pa.array(dec),
            pa.array(rng.normal(13, 2, size).astype(np.float32)),
            pa.array(rng.normal(12.5, 2, size).astype(np.float32), mask=rng.random(size) < 0.1),
            pa.array(rng.uniform(0.001, 0.1, size)),
            pa.array(rng.integers(1, 10_000, size).astype(np.int32)),
            pa.array(rng.integers(0, 16, size).astype(np.int16)),
            pa.array(rng.random(size) < 0.2),
            pc.binary_join_element_wise("CoRoT ", pc.cast(ids, pa.string()), ""),
            pa.array(np.datetime64("2007-01-01T00:00:00", "s") + rng.integers(0, 2 * 10**8, size).astype("m8[s]")),
            pa.ListArray.from_arrays(offsets, pa.array(np.column_stack([ra, dec]).ravel())),
        ],
        names=[c.name for c in COLUMNS],
    )


def cycled_batches(pool: list[pa.RecordBatch], rows: int) -> Iterator[pa.RecordBatch]:
    produced = 0
    for batch in itertools.cycle(pool):
        if produced >= rows:
            return
        take = min(batch.num_rows, rows - produced)
        yield batch.slice(0, take)
        produced += take


def rss_bytes() -> int:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch-rows", type=int, default=20_000)
    parser.add_argument("--formats", default=DEFAULT_FORMATS)
    args = parser.parse_args()
    rng = np.random.default_rng(1)
    pool = [make_batch(i * args.batch_rows, args.batch_rows, rng) for i in range(POOL)]
    print(f"{args.rows:,} rows x {len(COLUMNS)} columns, batches of {args.batch_rows:,}")
    print(f"{'format':<12} {'seconds':>8} {'MB out':>8} {'MB/s':>8} {'Mrows/s':>8} {'peak RSS MB':>12}")
    for name in args.formats.split(","):
        output = resolve_format(name)
        baseline = rss_bytes()
        peak = baseline
        written = 0
        started = time.perf_counter()
        for chunk in output.encode(COLUMNS, cycled_batches(pool, args.rows)):
            written += len(chunk)
            peak = max(peak, rss_bytes())
        seconds = time.perf_counter() - started
        megabytes = written / 1e6
        print(
            f"{name:<12} {seconds:8.2f} {megabytes:8.1f} {megabytes / seconds:8.1f} "
            f"{args.rows / seconds / 1e6:8.2f} {peak / 1e6:12.1f}"
        )


if __name__ == "__main__":
    main()
