"""Face coordinates of nested HEALPix cells, from the scheme's definition (Górski et al. 2005, §4).

A nested index is ``face * 4**order`` plus the bits of the face coordinates interleaved: bit
``i`` of x is bit ``2i`` of the index, bit ``i`` of y is bit ``2i + 1``.  Written from that
definition alone, as an oracle for the HiPS tile layout (independent of hips.geometry).
"""

from __future__ import annotations

from typing import Any

import numpy as np


def pix2xyf(order: int, cells: Any) -> tuple[Any, Any, Any]:
    """(x, y, face) of nested cells at ``order``."""
    index = np.asarray(cells, dtype=np.int64)
    face, local = index >> (2 * order), index & ((1 << (2 * order)) - 1)
    x, y = np.zeros_like(index), np.zeros_like(index)
    for bit in range(order):
        x |= ((local >> (2 * bit)) & 1) << bit
        y |= ((local >> (2 * bit + 1)) & 1) << bit
    return x, y, face


def xyf2pix(order: int, x: Any, y: Any, face: Any) -> Any:
    """Nested cells at ``order`` of face coordinates (x, y) on ``face``."""
    xs, ys = np.asarray(x, dtype=np.int64), np.asarray(y, dtype=np.int64)
    index = np.asarray(face, dtype=np.int64) << (2 * order)
    for bit in range(order):
        index = index | (((xs >> bit) & 1) << (2 * bit)) | (((ys >> bit) & 1) << (2 * bit + 1))
    return index
