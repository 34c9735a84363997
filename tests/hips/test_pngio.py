"""PNG display tiles: our encoder read back by an independent decoder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from matplotlib import image as mpimg

from hips.imagetiles import Stretch, png_bytes, reduce_2x2
from hips.pngio import encode_grey_alpha, png_size


def test_grey_alpha_round_trip(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    grey = rng.integers(0, 256, (37, 53), dtype=np.uint8)
    alpha = rng.integers(0, 256, (37, 53), dtype=np.uint8)
    path = tmp_path / "t.png"
    path.write_bytes(encode_grey_alpha(grey, alpha))
    decoded = mpimg.imread(path)  # float RGBA (or LA) in [0, 1]
    assert png_size(path.read_bytes()) == (53, 37)
    assert np.array_equal(np.rint(decoded[..., 0] * 255).astype(np.uint8), grey)
    assert np.array_equal(np.rint(decoded[..., -1] * 255).astype(np.uint8), alpha)


def test_display_tile_is_flipped_and_transparent_outside(tmp_path: Path) -> None:
    data = np.full((8, 8), np.nan, dtype=np.float32)
    data[0, :] = 100.0  # bottom FITS row → last PNG line
    path = tmp_path / "tile.png"
    path.write_bytes(png_bytes(data, Stretch(0.0, 100.0, 10.0)))
    decoded = mpimg.imread(path)
    assert np.all(decoded[-1, :, -1] == 1.0) and np.all(decoded[:-1, :, -1] == 0.0)
    assert np.all(decoded[-1, :, 0] == 1.0)


def test_not_a_png() -> None:
    with pytest.raises(ValueError, match="not a PNG"):
        png_size(b"GIF89a" + b"\0" * 40)


def test_mean_reduction_keeps_isolated_stars() -> None:
    """A lone bright pixel survives the 2×2 mean (a median would drop it)."""
    data = np.zeros((4, 4), dtype=np.float32)
    data[1, 2] = 400.0
    data[3, 3] = np.nan
    reduced = reduce_2x2(data)
    assert reduced[0, 1] == pytest.approx(100.0)
    assert reduced[1, 1] == pytest.approx(0.0)  # NaN left out of the mean
    assert np.isnan(reduce_2x2(np.full((2, 2), np.nan, dtype=np.float32))[0, 0])
