"""The SIPAD-CoRoT archive tree: datasets per level (N0, N1, N2, HK), run and dataset type.

Dataset types and the description fields (topic, run, type of run, field of view, type of
data, dates, processing level, file format, size, number of objects) are those shown on
the SIPAD-CoRoT screens.  N0/N1 dataset codes are not documented publicly beyond those
screens; object counts and sizes here are synthetic.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pyarrow as pa

from vo_service.mission import Run, runs

#: (code, title) of the level-0 dataset types listed in the SIPAD-CoRoT tree.
N0_TYPES: tuple[tuple[str, str], ...] = (
    ("ANO_BKGROUND", "Asteroseismology Background"),
    ("ANO_ECARTO_AFPS", "Ecartometry Fine Pointing mode"),
    ("ANO_ECARTO_ARPS", "Ecartometry Rough Pointing mode"),
    ("ANO_ECARTO_Undefined", "Ecartometry mode non-detected"),
    ("ANO_FULLIMAGE", "Asteroseismology Full Image"),
    ("ANO_FULLWINDOW", "Asteroseismology Full Window"),
    ("ANO_IMAGETTE", "Asteroseismology thumbnails"),
    ("ANO_MASK", "Asteroseismology templates"),
    ("ANO_OFFSET", "Asteroseismology Offset"),
    ("ANO_STARWIND", "Asteroseismology channel"),
    ("ANO_THRESHOLDIMAGE", "Asteroseismology Threshold Image"),
    ("ENO_BKGROUND_MONOCHROM", "Monochromatic Exoplanet Background"),
    ("ENO_BKGROUND_SAMPLEM", "Monochromatic Oversampled Exoplanet Background"),
    ("ENO_FULLIMAGE", "Exoplanet Full Image"),
    ("ENO_FULLWINDOW", "Exoplanet Full Window"),
    ("ENO_IMAGETTE", "Exoplanet Thumbnails"),
    ("ENO_OFFSET_SAMPLEM", "Offset Exoplanet Oversampled Monochromatic"),
    ("ENO_STARWIND_CHROM", "Chromatic Exoplanet Observation"),
    ("ENO_STARWIND_MONOCHROM", "Monochromatic Exoplanet observation"),
    ("ENO_STARWIND_SAMPLEC", "Chromatic Oversampled Exoplanet Observation"),
    ("ENO_STARWIND_SAMPLEM", "Monochromatic Oversampled Observation"),
    ("ENO_TEMPLATE", "Exoplanet Templates"),
)
N1_TYPES: tuple[tuple[str, str], ...] = (
    ("AN1_STAR", "Asteroseismology light curves, level 1"),
    ("EN1_STAR_CHR", "Chromatic exoplanet light curves, level 1"),
    ("EN1_STAR_MON", "Monochromatic exoplanet light curves, level 1"),
)
N2_TYPES: tuple[tuple[str, str], ...] = (
    ("AN2_STAR", "Asteroseismology light curves, level 2"),
    ("EN2_STAR_CHR", "Chromatic exoplanet light curves, level 2"),
    ("EN2_STAR_MON", "Monochromatic exoplanet light curves, level 2"),
    ("EN2_STAR_IMAG", "Exoplanet light curves from imagettes, level 2"),
    ("EN2_WINDESCRIPTOR", "Exoplanet window descriptors"),
    ("AN2_WINDESCRIPTOR", "Asteroseismology window descriptors"),
)
HK_TYPES: tuple[tuple[str, str], ...] = (
    ("HK_N0", "Housekeeping parameters, level 0 (one FITS file per run)"),
    ("HK_N1", "Housekeeping parameters, level 1 (one FITS file per day)"),
)
CALIBRATION_RUN = ("calibration", datetime(2006, 12, 28, tzinfo=UTC), datetime(2007, 1, 17, tzinfo=UTC))
#: N1 light curves were restricted to the Co-I group until the end of 2015 (SIPAD policy).
N1_GROUP, N1_RELEASE = "corot-coi", "2015-12-31T00:00:00"
#: Housekeeping and pointing (ecartometry) data stay with the operations team.
OPS_GROUP = "cnes-ops"


def _fov(field: str) -> str:
    return "Galactic center field of view" if field == "center" else "Galactic anticenter field of view"


def _row(
    level: str,
    code: str,
    title: str,
    run_code: str,
    run_type: str,
    field: str,
    start: datetime,
    end: datetime,
    rng: np.random.Generator,
) -> dict[str, object]:
    topic = "Asteroseismology" if code.startswith("A") else "Exoplanet" if code.startswith("E") else "Housekeeping"
    if run_code == "calibration":
        topic = "Calibration"
    n_objects = (
        int(rng.integers(1, 12)) if "FULL" in code or "MASK" in code or "OFFSET" in code else int(rng.integers(5, 800))
    )
    if level == "HK":
        n_objects = 1 if code == "HK_N0" else max(1, int((end - start).days))
    group, release = "public", None
    if level == "N1":
        group, release = N1_GROUP, N1_RELEASE
    if level == "HK" or "ECARTO" in code:
        group, release = OPS_GROUP, None
    return {
        "dataset_id": f"DA_TC_COROT_{level}_{run_code}_{code}",
        "title": f"{run_code} - {title} - {code}" if run_code != "calibration" else f"Calib - {title} - {code}",
        "level": level,
        "run_code": run_code,
        "dataset_type": code,
        "topic": topic,
        "type_of_run": run_type.upper(),
        "field_of_view": _fov(field),
        "type_of_data": code.split("_", 1)[1] if "_" in code else code,
        "date_start": start.replace(tzinfo=None),
        "date_end": end.replace(tzinfo=None),
        "file_format": "FITS in tar.gz archive" if level in {"N0", "N1"} else "FITS",
        "total_size_kb": int(n_objects * rng.integers(200, 40_000)),
        "n_objects": n_objects,
        "description": f"{title} ({code}) of run {run_code}, level {level}.",
        "access_group": group,
        "release_date": datetime.fromisoformat(release) if release else None,
    }


def synthesise_datasets(seed: int = 2006) -> pa.Table:
    """One row per (level, run, dataset type) of the archive tree."""
    rng = np.random.default_rng(seed + 1)
    rows = []
    name, start, end = CALIBRATION_RUN
    for code, title in N0_TYPES:
        if "STARWIND" not in code and "ECARTO" not in code:
            rows.append(_row("N0", code, title, name, "calibration", "anticenter", start, end, rng))
    run: Run
    for run in runs():
        for level, types in (("N0", N0_TYPES), ("N1", N1_TYPES), ("N2", N2_TYPES), ("HK", HK_TYPES)):
            for code, title in types:
                rows.append(_row(level, code, title, run.code, run.run_type, run.field, run.start, run.end, rng))
    return pa.Table.from_pylist(rows)


__all__ = ["CALIBRATION_RUN", "N0_TYPES", "N1_TYPES", "N2_TYPES", "synthesise_datasets"]
