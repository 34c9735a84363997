"""Streaming keeps memory flat: the peak does not grow with the number of rows.

Two runs of the same encoder, the second over 8x as many rows, are compared.  Python and numpy
allocations are measured with tracemalloc; Arrow's own buffers (which tracemalloc does not
see) with a proxy memory pool installed for the duration of the run.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable, Iterable, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from vo_service.metadata import ColumnMeta
from vo_service.votable.formats import resolve_format

COLUMNS = (
    ColumnMeta(name="id", datatype="long"),
    ColumnMeta(name="ra", datatype="double"),
    ColumnMeta(name="dec", datatype="double"),
    ColumnMeta(name="mag", datatype="float"),
    ColumnMeta(name="err", datatype="double"),
    ColumnMeta(name="n", datatype="int"),
    ColumnMeta(name="quality", datatype="short"),
    ColumnMeta(name="ok", datatype="boolean"),
    ColumnMeta(name="name", datatype="char", arraysize="*"),
    ColumnMeta(name="obs", datatype="char", xtype="timestamp"),
)
BATCH_ROWS = 10_000


def batches(n_rows: int) -> Iterator[pa.RecordBatch]:
    """Synthetic rows, generated lazily one batch at a time."""
    rng = np.random.default_rng(3)
    for start in range(0, n_rows, BATCH_ROWS):
        size = min(BATCH_ROWS, n_rows - start)
        ids = pa.array(np.arange(start, start + size, dtype=np.int64))
        yield pa.record_batch(
            [
                ids,
                pa.array(rng.uniform(0, 360, size)),
                pa.array(rng.uniform(-90, 90, size)),
                pa.array(rng.normal(13, 2, size).astype(np.float32)),
                pa.array(rng.uniform(0, 1, size), mask=rng.random(size) < 0.05),
                pa.array(rng.integers(0, 10**6, size).astype(np.int32)),
                pa.array(rng.integers(-5, 5, size).astype(np.int16)),
                pa.array(rng.random(size) < 0.5),
                pc.binary_join_element_wise("CoRoT ", pc.cast(ids, pa.string()), ""),
                pa.array(np.datetime64("2007-01-01T00:00:00", "us") + rng.integers(0, 10**14, size).astype("m8[us]")),
            ],
            names=[c.name for c in COLUMNS],
        )


def peaks(encode: Callable[[Iterable[pa.RecordBatch]], Iterator[bytes]], n_rows: int) -> tuple[int, int, int]:
    """(python peak, arrow peak, bytes written) while streaming ``n_rows`` rows."""
    previous = pa.default_memory_pool()
    pool = pa.proxy_memory_pool(previous)
    pa.set_memory_pool(pool)
    tracemalloc.start()
    try:
        written = sum(len(chunk) for chunk in encode(batches(n_rows)))
        _, python_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        pa.set_memory_pool(previous)
    return python_peak, pool.max_memory(), written


@pytest.mark.parametrize("fmt", ["votable/b2", "votable/td", "csv", "parquet"])
def test_peak_memory_does_not_grow_with_rows(fmt: str) -> None:
    output = resolve_format(fmt)

    def encode(source: Iterable[pa.RecordBatch]) -> Iterator[bytes]:
        return output.encode(COLUMNS, source)

    small_python, small_arrow, small_size = peaks(encode, 4 * BATCH_ROWS)
    large_python, large_arrow, large_size = peaks(encode, 32 * BATCH_ROWS)
    assert large_size > 7 * small_size
    slack = 2 * 1024 * 1024
    assert large_python < 1.25 * small_python + slack, (small_python, large_python)
    assert large_arrow < 1.25 * small_arrow + slack, (small_arrow, large_arrow)
    # far less than the output itself, which a buffering writer would hold at least once
    assert large_python + large_arrow < large_size / 2
