"""CoRoT N2 product names and archive paths (CoRoT data spec §2).

A product name is ``<TYPE>_<CID10>_<START>_<END>``: the product type, the CoRoT ID padded to
ten digits, and the UT span of the product as ``YYYYMMDDThhmmss``.  The IAS/IDOC and CDS
archives file it under ``N2-4.4/YYYY/MM/DD/`` where the date is the *run* start (§2.2).

The same target and run carry different end stamps in different releases (§2.1), so callers
should key products on (CoRoT ID, run), never on the full name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Final, Literal

ProductType = Literal["EN2_STAR_CHR", "EN2_STAR_MON", "EN2_STAR_IMAG", "AN2_STAR"]

#: The N2 light-curve product types (§2.1); window descriptors are not light curves.
PRODUCT_TYPES: Final[tuple[ProductType, ...]] = (
    "EN2_STAR_CHR",
    "EN2_STAR_MON",
    "EN2_STAR_IMAG",
    "AN2_STAR",
)

#: Release directory of the final public archive (§1, §2.2).
RELEASE_DIR: Final = "N2-4.4"

_STAMP_FORMAT: Final = "%Y%m%dT%H%M%S"
_MAX_COROT_ID: Final = 9_999_999_999
_NAME_RE: Final = re.compile(
    r"(?P<type>EN2_STAR_CHR|EN2_STAR_MON|EN2_STAR_IMAG|AN2_STAR)"
    r"_(?P<cid>\d{10})_(?P<start>\d{8}T\d{6})_(?P<end>\d{8}T\d{6})"
)


@dataclass(frozen=True)
class ProductName:
    """The parts of an N2 product name; times are timezone-aware UTC, to the second."""

    product_type: ProductType
    corot_id: int
    start: datetime
    end: datetime

    @property
    def channel(self) -> Literal["exo", "astero"]:
        """CoRoT channel of the product: ``AN2_*`` is asteroseismology, ``EN2_*`` exoplanets."""
        return "astero" if self.product_type == "AN2_STAR" else "exo"

    @property
    def name(self) -> str:
        """The product name without the ``.fits`` suffix."""
        return product_name(self.product_type, self.corot_id, self.start, self.end)


def _as_utc(moment: datetime) -> datetime:
    """Treat naive datetimes as UTC (the archive's convention) and convert aware ones."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _check_product_type(product_type: str) -> ProductType:
    for known in PRODUCT_TYPES:
        if product_type == known:
            return known
    raise ValueError(f"unknown N2 product type {product_type!r}; expected one of {', '.join(PRODUCT_TYPES)}")


def product_name(product_type: str, corot_id: int, start: datetime, end: datetime) -> str:
    """Build ``<TYPE>_<CID10>_<START>_<END>`` (§2.1); naive datetimes are taken as UTC."""
    known = _check_product_type(product_type)
    if not 0 <= corot_id <= _MAX_COROT_ID:
        raise ValueError(f"CoRoT ID {corot_id} does not fit the 10-digit field of a product name")
    start_utc, end_utc = _as_utc(start), _as_utc(end)
    if end_utc < start_utc:
        raise ValueError(f"product end {end_utc.isoformat()} precedes its start {start_utc.isoformat()}")
    return f"{known}_{corot_id:010d}_{start_utc.strftime(_STAMP_FORMAT)}_{end_utc.strftime(_STAMP_FORMAT)}"


def parse_product_name(name: str) -> ProductName:
    """Split a product name (optionally with a directory and a ``.fits``/``.fits.gz`` suffix).

    Raises ``ValueError`` when the text is not an N2 light-curve product name.
    """
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    for suffix in (".fits.gz", ".fits", ".fit"):
        if base.lower().endswith(suffix):
            base = base[: -len(suffix)]
            break
    match = _NAME_RE.fullmatch(base)
    if match is None:
        raise ValueError(f"{name!r} is not an N2 product name (<TYPE>_<CID10>_<START>_<END>)")
    try:
        start = datetime.strptime(match["start"], _STAMP_FORMAT).replace(tzinfo=UTC)
        end = datetime.strptime(match["end"], _STAMP_FORMAT).replace(tzinfo=UTC)
    except ValueError as exc:
        raise ValueError(f"{name!r} carries an impossible date stamp: {exc}") from exc
    if end < start:
        raise ValueError(f"{name!r}: end stamp precedes start stamp")
    return ProductName(_check_product_type(match["type"]), int(match["cid"]), start, end)


def find_product_type(text: str) -> ProductType | None:
    """Find a product type inside free text such as a ``FILENAME`` keyword of an older release."""
    for known in sorted(PRODUCT_TYPES, key=len, reverse=True):
        if known in text.upper():
            return known
    return None


def archive_path(name: str, run_start: date | datetime) -> str:
    """``N2-4.4/YYYY/MM/DD/<name>.fits`` with the run start date, as at IAS/IDOC and CDS (§2.2)."""
    parsed = parse_product_name(name)
    if isinstance(run_start, datetime):
        run_start = _as_utc(run_start).date()
    return f"{RELEASE_DIR}/{run_start:%Y/%m/%d}/{parsed.name}.fits"
