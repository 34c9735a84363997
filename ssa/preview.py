"""PNG previews of the light curves (DataLink ``#preview``, SSA FORMAT=graphic).

The plot is drawn with matplotlib's Agg canvas on a Figure object (no pyplot, hence no
global figure state) and cached on disk under ``<cache_dir>/ssa-previews``.  The cache key
includes the product's recorded checksum, so a re-ingested product gets a new preview.
Files are written to a temporary name and renamed, so readers never see a partial PNG.
"""

from __future__ import annotations

import os
import tempfile
from io import BytesIO
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from vo_service.lightcurves import LightCurveReader

PREVIEW_DIR = "ssa-previews"
_DPI = 100


def preview_path(cache_dir: Path, product_id: str, checksum: str) -> Path:
    return cache_dir / PREVIEW_DIR / f"{product_id}-{checksum[:16]}.png"


def render_preview(read: LightCurveReader, fits_path: str, title: str, width: int, height: int) -> bytes:
    """A plot of the white-light flux against barycentric time; flagged points in grey."""
    series = read(fits_path, "white")
    time = series.time_bjd_minus_2400000
    flux = series.flux
    good = (series.status == 0) & np.isfinite(flux)
    figure = Figure(figsize=(width / _DPI, height / _DPI), dpi=_DPI)
    FigureCanvasAgg(figure)  # attaches the Agg canvas: no pyplot, no global backend state
    axes = figure.add_subplot(1, 1, 1)
    if (~good).any():
        axes.plot(time[~good], flux[~good], ",", color="0.75", rasterized=True, label="flagged")
    axes.plot(time[good], flux[good], ".", markersize=1.5, color="#1f3b73", rasterized=True, label="valid")
    axes.set_xlabel("BJD - 2400000 (TT) [d]")
    axes.set_ylabel("white flux [e-/32 s]")
    axes.set_title(title, fontsize=10)
    axes.ticklabel_format(axis="y", style="sci", scilimits=(-3, 5))
    figure.tight_layout()
    out = BytesIO()
    figure.savefig(out, format="png", dpi=_DPI)
    return out.getvalue()


def cached_preview(read: LightCurveReader, cache_dir: Path, product_id: str, checksum: str, fits_path: str,
                   title: str, width: int, height: int) -> Path:
    """The preview's cache file, rendered first if it does not exist yet."""
    target = preview_path(cache_dir, product_id, checksum)
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    data = render_preview(read, fits_path, title, width, height)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".preview-", suffix=".png")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


__all__ = ["PREVIEW_DIR", "cached_preview", "preview_path", "render_preview"]
