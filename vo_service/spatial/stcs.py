"""STC-S regions as DALI shapes: the ICRS POSITION, CIRCLE, BOX and POLYGON of TAP 1.0 §6.

ADQL 2.0 REGION() arguments and ObsCore ``s_region`` strings are STC-S (the STC-S note,
IVOA 2013); only the ICRS frame (or none) is understood, and BOX becomes its polygon.
"""

from __future__ import annotations

import math
import re

from vo_service.spatial.sphere import GeometryError, box_polygon

#: Coordinate frames that mean ICRS here (or say nothing); STC-S reference positions and
#: flavours that may accompany them (TAP 1.0 §6, STC-S note).
ICRS_FRAMES = frozenset({"ICRS", "UNKNOWNFRAME", "UNKNOWN"})
STCS_QUALIFIERS = frozenset(
    {
        "GEOCENTER",
        "BARYCENTER",
        "HELIOCENTER",
        "TOPOCENTER",
        "UNKNOWNREFPOS",
        "LSR",
        "LSRK",
        "LSRD",
        "GALACTIC_CENTER",
        "LOCAL_GROUP_CENTER",
        "EMBARYCENTER",
        "RELOCATABLE",
        "SPHERICAL2",
        "UNITSPHERE",
    }
)
_STCS_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def is_icrs(coordinate_system: str) -> bool:
    """Whether an STC-S/ADQL coordinate-system string means ICRS (or nothing at all)."""
    frames = [w for w in coordinate_system.upper().split() if w not in STCS_QUALIFIERS]
    return len(frames) <= 1 and all(f in ICRS_FRAMES for f in frames)


def stcs_shape(text: str) -> tuple[str, list[float]]:
    """Kind and DALI values of an ICRS STC-S POSITION, CIRCLE, BOX or POLYGON.

    BOX becomes the equivalent POLYGON; anything else (other frames, UNION, NOT, malformed
    text) raises :class:`GeometryError` with the reason.
    """
    words = text.split()
    if not words:
        raise GeometryError("the region is empty")
    shape = words[0].upper()
    rest = words[1:]
    qualifiers: list[str] = []
    while rest and not _STCS_NUMBER.match(rest[0]):
        qualifiers.append(rest.pop(0))
    if not is_icrs(" ".join(qualifiers)):
        raise GeometryError(f"unsupported coordinate system '{' '.join(qualifiers)}'")
    try:
        numbers = [float(w) for w in rest]
    except ValueError:
        raise GeometryError("malformed coordinates") from None
    if not all(math.isfinite(x) for x in numbers):
        raise GeometryError("malformed coordinates")
    if shape == "POSITION" and len(numbers) == 2:
        return "point", numbers
    if shape == "CIRCLE" and len(numbers) == 3:
        return "circle", numbers
    if shape == "POLYGON" and len(numbers) >= 6 and len(numbers) % 2 == 0:
        return "polygon", numbers
    if shape == "BOX" and len(numbers) == 4:
        return "polygon", [float(x) for x in box_polygon(*numbers)[0]]
    raise GeometryError(f"unsupported or malformed {shape} region")


__all__ = ["ICRS_FRAMES", "STCS_QUALIFIERS", "is_icrs", "stcs_shape"]
