"""SSA queryData parameters (SSA 1.1 §4.1, §8.7) → a query plan over ``corot.lightcurves``.

Parameters are read by :mod:`vo_service.params` (case-insensitive names; conflicting
repeats of a single-valued parameter are an error, SSA 1.1 §8.7.1).  Values that cannot be parsed
or are out of range raise :class:`~vo_service.faults.UsageFault` (an error document, SSA 1.1
§8.10); values that are valid but match nothing (an unknown collection, target or format)
give an empty result, as SSA 1.1 §4.1.1.5 asks for formats.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ssa.dids import DidError, collection_did, product_id_of
from ssa.profile import FormatSpec, SSAProfile
from ssa.ranges import Range, RangeError, RangeList, parse_numeric_list, parse_time_list
from ssa.targets import TargetNames
from ssa.timescales import utc_to_tt_mjd
from vo_service.faults import UsageFault
from vo_service.params import DaliParams
from vo_service.store.base import Between, Cone, Equals, IntervalOverlap, Predicate

CHANNELS = ("exo", "astero")
PRODUCT_TYPES = ("EN2_STAR_CHR", "EN2_STAR_MON", "EN2_STAR_IMAG", "AN2_STAR")
_RUN_CODE = re.compile(r"^(IR|SR|LR)([AC])(\d{2})$", re.IGNORECASE)
#: RSM wavebands (Resource Metadata 1.12 §4.3) accepted as BAND names, in metres.
WAVEBANDS: Mapping[str, tuple[float, float]] = {
    "optical": (3.0e-7, 1.0e-6),
    "radio": (1.0e-1, 1.0e4),
    "millimeter": (1.0e-4, 1.0e-1),
    "infrared": (1.0e-6, 1.0e-4),
    "ultraviolet": (1.0e-8, 3.0e-7),
    "x-ray": (1.0e-11, 1.0e-8),
    "gamma-ray": (1.0e-16, 1.0e-11),
}


@dataclass(frozen=True)
class Position:
    """The search cone: POS and half of SIZE, degrees."""

    ra: float
    dec: float
    radius: float


@dataclass(frozen=True)
class SSAPlan:
    """A parsed queryData request."""

    metadata: bool
    formats: tuple[FormatSpec, ...]
    predicates: tuple[Predicate, ...]
    position: Position | None
    maxrec: int
    #: True when a constraint rules out every product (no query needs to run).
    empty: bool
    echo: tuple[tuple[str, str], ...]


def _usage(exc: RangeError) -> UsageFault:
    return UsageFault(str(exc))


def parse_formats(text: str | None, profile: SSAProfile) -> tuple[bool, tuple[FormatSpec, ...]]:
    """FORMAT (SSA 1.1 §4.1.1.5): (is METADATA, formats listed).  Unknown values select
    no format, which yields an empty response rather than an error."""
    if text is None or text == "":
        return False, profile.formats
    chosen: list[FormatSpec] = []
    for item in (part.strip() for part in text.split(",")):
        key = item.lower()
        if key == "metadata":
            return True, ()
        base = key.split(";", 1)[0].strip()
        for spec in profile.formats:
            selected = key == "all" or key in spec.aliases or base == spec.mime
            if selected and spec not in chosen:
                chosen.append(spec)
    order = {spec.key: index for index, spec in enumerate(profile.formats)}
    return False, tuple(sorted(chosen, key=lambda spec: order[spec.key]))


def parse_position(pos: str | None, size: str | None, profile: SSAProfile) -> Position | None:
    """POS (``ra,dec[;ICRS]``, SSA 1.1 §4.1.1.1) and SIZE (diameter, §4.1.1.2)."""
    if pos is None or pos == "":
        return None
    body, _, frame = pos.partition(";")
    if frame and frame.strip().upper() != "ICRS":
        raise UsageFault(f"POS frame {frame.strip()!r} is not supported; give ICRS coordinates")
    parts = body.split(",")
    if len(parts) != 2:
        raise UsageFault(f"POS={pos!r} must be 'ra,dec' in decimal degrees")
    try:
        ra, dec = (float(part) for part in parts)
    except ValueError:
        raise UsageFault(f"POS={pos!r}: the coordinates must be decimal numbers of degrees") from None
    if not (math.isfinite(ra) and 0.0 <= ra <= 360.0):
        raise UsageFault(f"POS right ascension {parts[0].strip()} is out of range [0, 360]")
    if not (math.isfinite(dec) and -90.0 <= dec <= 90.0):
        raise UsageFault(f"POS declination {parts[1].strip()} is out of range [-90, 90]")
    diameter = profile.service.default_size
    if size not in (None, ""):
        try:
            diameter = float(str(size))
        except ValueError:
            raise UsageFault(f"SIZE={size!r} is not a number of degrees") from None
        if not math.isfinite(diameter) or diameter < 0:
            raise UsageFault(f"SIZE={size} must be a positive number of degrees")
        if diameter > profile.service.max_size:
            raise UsageFault(f"SIZE={size} exceeds the largest search diameter, {profile.service.max_size:g} degrees")
        if diameter == 0.0:
            diameter = profile.service.default_size
    return Position(ra % 360.0, dec, diameter / 2)


def band_matches(text: str | None, profile: SSAProfile) -> bool:
    """Whether BAND (SSA 1.1 §4.1.1.3) overlaps the CoRoT bandpass, which every light curve
    covers.  Band names are the CoRoT bands and the RSM wavebands."""
    if text is None or text == "" or text.strip().lower() == "all":
        return True
    try:
        ranges = parse_numeric_list(text, "BAND", names_allowed=True)
    except RangeError as exc:
        raise _usage(exc) from None
    if ranges.qualifier and ranges.qualifier.lower() not in {"source", "observer"}:
        raise UsageFault(f"BAND qualifier {ranges.qualifier!r} is not valid; use source or observer")
    white = profile.white
    for item in ranges.items:
        if isinstance(item, Range):
            low = -math.inf if item.low is None else item.low
            high = math.inf if item.high is None else item.high
        else:
            name = item.lower()
            known = {band.name: (band.min, band.max) for band in profile.bands}
            if name in known:
                low, high = known[name]
            elif name in WAVEBANDS:
                low, high = WAVEBANDS[name]
            else:
                raise UsageFault(f"BAND: unknown bandpass name {item!r}; use white, red, green, blue, "
                                 "an RSM waveband or a wavelength range in metres")
        if white.overlaps(low, high):
            return True
    return False


def time_predicate(text: str | None) -> IntervalOverlap | None:
    """TIME (SSA 1.1 §4.1.1.4, UTC) as an overlap with [t_min, t_max] (MJD, TT)."""
    if text is None or text == "":
        return None
    try:
        ranges: RangeList = parse_time_list(text)
    except RangeError as exc:
        raise _usage(exc) from None
    if len(ranges.items) != 1:
        raise UsageFault("TIME: this service accepts one time range; split multiple ranges into several queries")
    item = ranges.items[0]
    assert isinstance(item, Range)
    low = None if item.low is None else utc_to_tt_mjd(item.low)
    high = None if item.high is None else utc_to_tt_mjd(item.high)
    return IntervalOverlap("t_min", "t_max", low, high)


def _list(text: str | None) -> list[str]:
    return [item.strip() for item in (text or "").split(",") if item.strip()]


def _run_codes(text: str | None) -> list[str] | None:
    items = _list(text)
    if not items:
        return None
    codes = []
    for item in items:
        match = _RUN_CODE.match(item)
        if match is None:
            raise UsageFault(f"RUN: {item!r} is not a CoRoT run code such as LRa01 or SRc02")
        codes.append(f"{match.group(1).upper()}{match.group(2).lower()}{match.group(3)}")
    return codes


def _corot_ids(text: str | None) -> set[int] | None:
    items = _list(text)
    if not items:
        return None
    try:
        return {int(item) for item in items}
    except ValueError:
        raise UsageFault(f"COROTID={text!r} must be one or more integers, comma separated") from None


def _choice(text: str | None, name: str, allowed: Sequence[str], *, lower: bool) -> list[str] | None:
    items = _list(text)
    if not items:
        return None
    chosen = []
    for item in items:
        value = item.lower() if lower else item.upper()
        if value not in allowed:
            raise UsageFault(f"{name}: {item!r} is not one of {', '.join(allowed)}")
        chosen.append(value)
    return chosen


def _vmag(text: str | None) -> Between | None:
    if text is None or text == "":
        return None
    try:
        ranges = parse_numeric_list(text, "VMAG")
    except RangeError as exc:
        raise _usage(exc) from None
    if len(ranges.items) != 1 or not isinstance(ranges.items[0], Range):
        raise UsageFault("VMAG takes one magnitude range, min/max")
    item = ranges.items[0]
    return Between("vmag", item.low, item.high)


def collection_matches(text: str | None, profile: SSAProfile, ivo_prefix: str) -> bool:
    """COLLECTION (SSA 1.1 §4.1.2.14): the IVOA identifier, or a case-insensitive minimum
    match of a short name."""
    items = _list(text)
    if not items:
        return True
    identifier = collection_did(ivo_prefix).lower()
    for item in items:
        key = item.lower()
        if key == identifier or any(key in name.lower() for name in profile.service.collection_names):
            return True
    return False


def parse_query(
    params: DaliParams,
    profile: SSAProfile,
    names: TargetNames,
    *,
    ivo_prefix: str,
    hard_maxrec: int,
) -> SSAPlan:
    """Validate a queryData request and plan its store query."""
    request = params.single("REQUEST")
    if request and request.lower() != "querydata":
        raise UsageFault(f"REQUEST={request!r} is not supported; this SSA service implements queryData")
    version = params.single("VERSION")
    if version and not version.startswith("1"):
        raise UsageFault(f"VERSION={version!r}: this service implements SSA 1.1 (version 1.x)")
    metadata, formats = parse_formats(params.single("FORMAT"), profile)
    maxrec = params.maxrec(profile.service.default_maxrec, hard_maxrec).rows
    echo = tuple((name, params.single(name) or "") for name in ("POS", "SIZE", "BAND", "TIME", "FORMAT")
                 if params.get(name))
    if metadata:
        return SSAPlan(True, (), (), None, maxrec, True, echo)

    position = parse_position(params.single("POS"), params.single("SIZE"), profile)
    predicates: list[Predicate] = []
    empty = not formats
    if position is not None:
        predicates.append(Cone(position.ra, position.dec, position.radius))
    if not band_matches(params.single("BAND"), profile):
        empty = True
    time = time_predicate(params.single("TIME"))
    if time is not None:
        predicates.append(time)
    if not collection_matches(params.single("COLLECTION"), profile, ivo_prefix):
        empty = True

    ids: set[int] | None = _corot_ids(params.single("COROTID"))
    target = params.single("TARGETNAME")
    if target:
        resolved = set(names.resolve(target))
        ids = resolved if ids is None else ids & resolved
    if ids is not None:
        empty = empty or not ids
        predicates.append(Equals("corot_id", tuple(sorted(ids))))

    pubdids = _list(params.single("PUBDID"))
    if pubdids:
        products = []
        for did in pubdids:
            try:
                products.append(product_id_of(did, ivo_prefix))
            except DidError:
                continue  # another publisher's dataset: nothing of it here
        empty = empty or not products
        predicates.append(Equals("product_id", tuple(products)))
    runs = _run_codes(params.single("RUN"))
    if runs is not None:
        predicates.append(Equals("run_code", tuple(runs)))
    channels = _choice(params.single("CHANNEL"), "CHANNEL", CHANNELS, lower=True)
    if channels is not None:
        predicates.append(Equals("channel", tuple(channels)))
    types = _choice(params.single("PRODUCT_TYPE"), "PRODUCT_TYPE", PRODUCT_TYPES, lower=False)
    if types is not None:
        predicates.append(Equals("product_type", tuple(types)))
    vmag = _vmag(params.single("VMAG"))
    if vmag is not None:
        predicates.append(vmag)
    return SSAPlan(False, formats, tuple(predicates), position, maxrec, empty, echo)


__all__ = [
    "CHANNELS",
    "PRODUCT_TYPES",
    "WAVEBANDS",
    "Position",
    "SSAPlan",
    "band_matches",
    "collection_matches",
    "parse_formats",
    "parse_position",
    "parse_query",
    "time_predicate",
]
