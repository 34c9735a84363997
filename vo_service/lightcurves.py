"""Reading archived light-curve products: the seam between the services and the archive.

SSA, DataLink/SODA and the previews need the time series of a product's file, not the file
format: :class:`LightCurveReader` is what they are given (the archive's N2 FITS reader,
wired onto the service context by the application factory).  A reader raises
:class:`ProductFormatError` for a file it cannot use, with a reason an operator can act on.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Final, Literal, Protocol

import numpy as np
import numpy.typing as npt

Band = Literal["white", "red", "green", "blue"]
BANDS: Final[tuple[Band, ...]] = ("white", "red", "green", "blue")


class ProductFormatError(Exception):
    """A file that is not a usable light-curve product; ``reason`` says why, for humans."""

    def __init__(self, path: str | os.PathLike[str], reason: str) -> None:
        super().__init__(f"{os.fspath(path)}: {reason}")
        self.path = os.fspath(path)
        self.reason = reason


@dataclass(frozen=True)
class TimeSeries:
    """One band of a light curve for SSA/SODA: barycentric (v1–3: heliocentric) times."""

    band: Band
    time_bjd_minus_2400000: npt.NDArray[np.float64]
    flux: npt.NDArray[np.float64]
    flux_err: npt.NDArray[np.float64]  # NaN where the file gives no error
    status: npt.NDArray[np.int32]
    flux_unit: str  # TUNIT as written; CoRoT N2 v4 fluxes are electrons per 32 s
    time_reference: Literal["barycentre", "heliocentre"]


class LightCurveReader(Protocol):
    """Reads one band of the native-cadence light curve of a product file."""

    def __call__(self, path: str | os.PathLike[str], band: str = "white") -> TimeSeries: ...


__all__ = ["BANDS", "Band", "LightCurveReader", "ProductFormatError", "TimeSeries"]
