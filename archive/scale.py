"""Synthetic catalogues beyond the mission's size, for scale tests and benchmarks.

The observation log is tiled: each copy gets fresh CoRoT IDs (offset by a multiple of
10^9, outside the real ID range) and positions jittered by up to half a degree, so the
sky density rises around the real pointings the way a deeper survey's would.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from archive.catalogue import synthesise_targets

ID_BLOCK = 1_000_000_000


def scaled_targets(n_rows: int, seed: int = 2006, batch_rows: int = 1_000_000) -> Iterator[pa.Table]:
    """``n_rows`` observation-log rows, yielded in tables of at most ``batch_rows``."""
    base = synthesise_targets(seed=seed)
    rng = np.random.default_rng(seed + 99)
    produced = 0
    while produced < n_rows:
        copy, offset = divmod(produced, base.num_rows)
        take = min(base.num_rows - offset, n_rows - produced, batch_rows)
        chunk = base.slice(offset, take)
        if copy:
            ids = chunk.column("corot_id").to_numpy() + copy * ID_BLOCK
            ra = np.mod(chunk.column("ra").to_numpy() + rng.uniform(-0.5, 0.5, take), 360.0)
            dec = np.clip(chunk.column("dec").to_numpy() + rng.uniform(-0.5, 0.5, take), -90.0, 90.0)
            for name, values in (("corot_id", ids), ("ra", ra), ("dec", dec)):
                chunk = chunk.set_column(chunk.schema.get_field_index(name), name, pa.array(values))
        yield chunk
        produced += take


def write_scaled_targets(path: Path, n_rows: int, seed: int = 2006) -> Path:
    """Write ``n_rows`` observation-log rows to a Parquet file, batch by batch."""
    writer: pq.ParquetWriter | None = None
    try:
        for chunk in scaled_targets(n_rows, seed):
            if writer is None:
                writer = pq.ParquetWriter(path, chunk.schema)
            writer.write_table(chunk)
    finally:
        if writer is not None:
            writer.close()
    return path


__all__ = ["ID_BLOCK", "scaled_targets", "write_scaled_targets"]
