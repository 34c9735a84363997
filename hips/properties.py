"""The HiPS ``properties`` file and the HiPS list (HiPS 1.0 §4.4.1 and §5.2).

``properties`` is UTF-8 text, one ``keyword = value`` per line, ``#`` lines are comments.
A HiPS list is a sequence of such records separated by blank lines, each carrying at
least ``creator_did``, ``hips_release_date``, ``hips_service_url`` and ``hips_status``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt

from hips.imagetiles import atomic_write
from vo_service.hips_properties import parse_properties
from vo_service.spatial import angular_distance, to_radec

#: Keywords every HiPS must declare (HiPS 1.0 §4.4.1; ``hips_order`` and ``hips_frame``
#: apply to every spatial HiPS, ``hips_tile_width`` to image ones).
MANDATORY = ("creator_did", "obs_title", "dataproduct_type", "hips_version", "hips_release_date",
             "hips_status", "hips_tile_format", "hips_order", "hips_frame")
#: Keywords a HiPS-list record must carry (HiPS 1.0 §5.2).
LIST_MANDATORY = ("creator_did", "hips_release_date", "hips_service_url", "hips_status")
HIPS_VERSION = "1.4"
#: CoRoT white-light passband (exoplanet channel throughput, 3044-10896 Å), metres.
COROT_EM_MIN, COROT_EM_MAX = 3.044e-7, 1.0896e-6


def hips_date(when: datetime | None = None) -> str:
    """ISO 8601 ``YYYY-mm-ddTHH:MMZ`` as the properties keywords require."""
    return (when or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


def _clean(value: object) -> str:
    text = f"{value:.10g}" if isinstance(value, float) else str(value)
    return " ".join(text.split())  # one line, no stray control characters


def format_properties(values: Mapping[str, object]) -> str:
    """Serialise keywords in the given order; values are folded on one line."""
    width = max((len(k) for k in values), default=0)
    lines = []
    for key, value in values.items():
        if any(c.isspace() or c == "=" for c in key):
            raise ValueError(f"invalid properties keyword {key!r}")
        if value is None or value == "":
            continue
        lines.append(f"{key.ljust(width)} = {_clean(value)}")
    return "\n".join(lines) + "\n"


def read_properties(path: Path) -> dict[str, str]:
    return parse_properties(path.read_text(encoding="utf-8")) if path.exists() else {}


def write_properties(path: Path, values: Mapping[str, object]) -> None:
    missing = [k for k in MANDATORY if values.get(k) in (None, "")]
    if missing:
        raise ValueError(f"properties lack mandatory keywords: {', '.join(missing)}")
    atomic_write(path, format_properties(values).encode("utf-8"))


def hips_list(records: Iterable[Mapping[str, object]]) -> str:
    """A HiPS list: one properties record per HiPS, separated by blank lines (§5.2)."""
    parts = []
    for record in records:
        missing = [k for k in LIST_MANDATORY if record.get(k) in (None, "")]
        if missing:
            raise ValueError(f"HiPS list record lacks {', '.join(missing)}")
        parts.append(format_properties(record))
    return "\n".join(parts)


def parse_hips_list(text: str) -> list[dict[str, str]]:
    records: list[dict[str, str]] = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        record = parse_properties(block)
        if record:
            records.append(record)
    return records


def initial_view(lon: npt.ArrayLike, lat: npt.ArrayLike, *, radius_deg: float = 6.0) -> tuple[float, float, float]:
    """(ra, dec, fov) showing the densest group of positions: the position with the most
    neighbours within ``radius_deg``, the mean of those neighbours, and a field of view
    that encloses them."""
    ra = np.radians(np.asarray(lon, dtype=float))
    dec = np.radians(np.asarray(lat, dtype=float))
    if ra.size == 0:
        return 0.0, 0.0, 180.0
    vec = np.stack([np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)], axis=1)
    pick = vec if len(vec) <= 1000 else vec[:: len(vec) // 1000 + 1]
    population = vec if len(vec) <= 20_000 else vec[:: len(vec) // 20_000 + 1]
    cos_r = math.cos(math.radians(radius_deg))
    counts = (pick @ population.T > cos_r).sum(axis=1)
    centre_guess = pick[int(np.argmax(counts))]
    group = vec[vec @ centre_guess > cos_r]
    mean = group.mean(axis=0)
    mean /= np.linalg.norm(mean)
    centre_ra = math.degrees(math.atan2(mean[1], mean[0])) % 360.0
    centre_dec = math.degrees(math.asin(float(np.clip(mean[2], -1.0, 1.0))))
    group_ra, group_dec = to_radec(group)
    spread = float(np.max(angular_distance(group_ra, group_dec, centre_ra, centre_dec)))
    return round(centre_ra, 5), round(centre_dec, 5), round(min(max(2.2 * spread + 1.0, 1.0), 60.0), 3)


__all__ = [
    "COROT_EM_MAX",
    "COROT_EM_MIN",
    "HIPS_VERSION",
    "LIST_MANDATORY",
    "MANDATORY",
    "format_properties",
    "hips_date",
    "hips_list",
    "initial_view",
    "parse_hips_list",
    "parse_properties",
    "read_properties",
    "write_properties",
]
