"""Time-scale conversions between what the protocols speak and what the archive stores.

SSA TIME and SODA TIME are UTC (SSA 1.1 §4.1.1.4, SODA 1.0 §3.3.4); ``corot.lightcurves``
stores MJD in TT at the satellite (t_min/t_max, from DATETT); the N2 light curves are dated
in barycentric TT, JD − 2 400 000 (DATEBARTT, CoRoT data spec §3.1).  Time scales come
from astropy, the Earth's position from ERFA's built-in ephemeris, so nothing is
downloaded; the satellite is taken at the geocentre (at most 25 ms of light time).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import erfa  # type: ignore[import-untyped]  # pyerfa, an astropy dependency, ships no type hints
import numpy as np
import numpy.typing as npt
from astropy.time import Time
from astropy.utils import iers
from astropy.utils.exceptions import AstropyWarning

#: Zero point of the N2 v4 dates: JD − 2 400 000 (CoRoT data spec §3.8).
N2_JD_ZERO = 2_400_000.0
#: Light time for one astronomical unit, seconds (IAU 2012).
AU_LIGHT_TIME_S = 499.004783836


@contextmanager
def _offline() -> Iterator[None]:
    """No IERS downloads from a request, and no warnings about Earth-orientation tables:
    polar motion and UT1 do not enter these conversions at the precision that matters
    (seconds for SSA coverage, milliseconds for a cutout)."""
    with (
        iers.conf.set_temp("auto_download", False),
        iers.conf.set_temp("iers_degraded_accuracy", "ignore"),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore", AstropyWarning)
        warnings.simplefilter("ignore", erfa.ErfaWarning)
        yield


def utc_to_tt_mjd(mjd_utc: float) -> float:
    """MJD (UTC) → MJD (TT)."""
    with _offline():
        return float(Time(mjd_utc, format="mjd", scale="utc").tt.mjd)


def tt_to_utc_mjd(mjd_tt: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """MJD (TT) → MJD (UTC), element-wise."""
    with _offline():
        times = Time(np.asarray(mjd_tt, dtype=np.float64), format="mjd", scale="tt")
        return np.asarray(times.utc.mjd, dtype=np.float64)


def utc_mjd_to_barycentric(mjd_utc: npt.ArrayLike, ra_deg: float, dec_deg: float) -> npt.NDArray[np.float64]:
    """MJD (UTC) at the observer → barycentric TT dates, JD − 2 400 000, for a target.

    This is the time axis of the N2 files (DATEBARTT): the TT date plus the light travel
    time from the Earth to the solar-system barycentre along the direction of the target,
    the projection of the Earth's barycentric position (ERFA epv00) on that direction.
    """
    with _offline():
        tt = Time(np.asarray(mjd_utc, dtype=np.float64), format="mjd", scale="utc").tt
        jd1 = np.atleast_1d(np.asarray(tt.jd1, dtype=np.float64))
        jd2 = np.atleast_1d(np.asarray(tt.jd2, dtype=np.float64))
    _, barycentric = erfa.epv00(jd1, jd2)
    position_au = np.asarray(barycentric["p"], dtype=np.float64)
    ra, dec = np.radians(ra_deg), np.radians(dec_deg)
    direction = np.array([np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)])
    delay_days = position_au @ direction * AU_LIGHT_TIME_S / 86400.0
    dates: npt.NDArray[np.float64] = (jd1 - N2_JD_ZERO) + jd2 + np.asarray(delay_days, dtype=np.float64)
    return dates


__all__ = ["N2_JD_ZERO", "tt_to_utc_mjd", "utc_mjd_to_barycentric", "utc_to_tt_mjd"]
