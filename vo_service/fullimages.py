"""The full-field CCD images of the runs, as every service sees them.

CoRoT read each CCD in full a few times per run (the N0 ``ENO_FULLIMAGE`` and
``ANO_FULLIMAGE`` datasets of the SIPAD-CoRoT tree).  The archive renders them into
:func:`fullimages_dir` (one folder per build resolution); the HiPS builder and any other
reader take them from there.  Which runs' images a viewer may see is the SIPAD access
policy on ``corot.datasets``.  :class:`ImageRenderer` is the seam through which the command
line lets the archive render images before a HiPS build, without the builder importing it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal, Protocol

from vo_service.access import Viewer
from vo_service.settings import Settings
from vo_service.store.base import Equals, Query, Store

Channel = Literal["exo", "astero"]

#: Dataset type of the full images of each channel (SIPAD-CoRoT N0 tree).
DATASET_TYPES: Mapping[Channel, str] = {"exo": "ENO_FULLIMAGE", "astero": "ANO_FULLIMAGE"}
#: Image binning of each build resolution: ``full`` is the CCD's 2.32"/px, the demo
#: renders 4×4-binned CCDs (9.28"/px), ``preview`` 16×16 (37"/px).
RESOLUTIONS: Mapping[str, int] = {"full": 1, "demo": 4, "preview": 16}


def ccd_channel(ccd: str) -> Channel:
    """``E1``/``E2`` are exoplanet CCDs, ``A1``/``A2`` asteroseismology CCDs."""
    return "exo" if ccd.upper().startswith("E") else "astero"


def fullimages_dir(settings: Settings) -> Path:
    """Where rendered full-field images live (beside the products, outside the HiPS trees)."""
    return settings.data_dir / "fullimages"


def image_name(run_code: str, ccd: str) -> str:
    """File name of one CCD's image, below the run's folder: ``ENO_FULLIMAGE_LRa01_E1.fits``."""
    return f"{DATASET_TYPES[ccd_channel(ccd)]}_{run_code}_{ccd}.fits"


def fullimage_channels(store: Store, viewer: Viewer) -> dict[str, set[Channel]]:
    """Runs and channels whose full-image dataset ``viewer`` may read (SIPAD access policy)."""
    query = Query("corot.datasets", ("run_code", "dataset_type"),
                  where=(Equals("dataset_type", tuple(DATASET_TYPES.values())),))
    visible: dict[str, set[Channel]] = {}
    by_type = {v: k for k, v in DATASET_TYPES.items()}
    for batch in store.select(query, viewer):
        for run_code, dataset_type in zip(batch.column(0).to_pylist(), batch.column(1).to_pylist(), strict=True):
            visible.setdefault(str(run_code), set()).add(by_type[str(dataset_type)])
    return visible


class RenderedImages(Protocol):
    """What a rendering pass reports: every image of the visible runs, and those it (re)wrote."""

    @property
    def images(self) -> Sequence[Path]: ...

    @property
    def rendered(self) -> Sequence[Path]: ...


class ImageRenderer(Protocol):
    """Renders the images ``viewer`` may see into ``out_dir``, unchanged ones kept as they are."""

    def __call__(self, store: Store, out_dir: Path, *, binning: int, viewer: Viewer) -> RenderedImages: ...


__all__ = [
    "DATASET_TYPES",
    "RESOLUTIONS",
    "Channel",
    "ImageRenderer",
    "RenderedImages",
    "ccd_channel",
    "fullimage_channels",
    "fullimages_dir",
    "image_name",
]
