"""SODA 1.0 {sync} cutouts of light curves: a time interval and photometric bands.

Parameters (SODA 1.0 §3): ID (one publisher DID), TIME (DALI interval, MJD UTC), BAND (DALI
interval, metres), the service-defined COLOUR (band names, may repeat) and RESPONSEFORMAT.
TIME is converted to the barycentric dates of the file before cutting (see
:mod:`ssa.timescales`).  BAND selects the spectral "pixels" of the product it overlaps: the
red, green and blue channels of a chromatic product (white, their sum, is added when all
three are selected), the white light of the others.

A cutout that contains no data is answered with HTTP 204 and no body (SODA 1.0 §5.1).
Errors are ``text/plain`` documents starting with a SODA error code (SODA 1.0 §5.2).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ssa.profile import Band, SSAProfile
from ssa.ranges import Range, RangeError, parse_interval
from ssa.timescales import utc_mjd_to_barycentric

COLOUR_BANDS = ("red", "green", "blue")


class SodaError(Exception):
    """A SODA error: its code (SODA 1.0 §5.2 table), message and HTTP status."""

    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status

    @property
    def text(self) -> str:
        return f"{self.code}: {self.message}\n"


def usage(message: str, status: int = 400) -> SodaError:
    return SodaError("UsageError", message, status)


@dataclass(frozen=True)
class OutputFormat:
    key: str
    media_type: str


OUTPUT_FORMATS: Mapping[str, OutputFormat] = {
    "application/fits": OutputFormat("fits", "application/fits"),
    "fits": OutputFormat("fits", "application/fits"),
    "application/x-votable+xml": OutputFormat("votable", "application/x-votable+xml"),
    "votable": OutputFormat("votable", "application/x-votable+xml"),
    "text/xml": OutputFormat("votable", "text/xml"),
    "text/csv": OutputFormat("csv", "text/csv"),
    "csv": OutputFormat("csv", "text/csv"),
}


@dataclass(frozen=True)
class CutoutRequest:
    identifier: str
    time: Range | None  # MJD (UTC)
    band: Range | None  # metres
    colours: tuple[str, ...]
    output: OutputFormat


def one_value(params: Mapping[str, Sequence[str]], name: str) -> str | None:
    """SODA 1.0 §3.1: this service takes one value of each parameter but COLOUR."""
    values = params.get(name) or []
    if len(values) > 1:
        raise SodaError("MultiValuedParamNotSupported",
                        f"{name} was given {len(values)} times; this service accepts one {name} per request", 400)
    return values[0].strip() if values else None


def parse_cutout(params: Mapping[str, Sequence[str]]) -> CutoutRequest:
    identifier = one_value(params, "ID")
    if not identifier:
        raise usage("ID is required: the publisher DID of a light curve")
    time_text = one_value(params, "TIME")
    band_text = one_value(params, "BAND")
    if band_text and band_text.lower() in {"white", *COLOUR_BANDS}:
        raise usage(f"BAND is a wavelength interval in metres (SODA 1.0 §3.3.4), such as BAND=6e-7 1e-6; "
                    f"to choose a CoRoT band by name use COLOUR={band_text.lower()}")
    try:
        time = parse_interval(time_text, "TIME") if time_text else None
        band = parse_interval(band_text, "BAND") if band_text else None
    except RangeError as exc:
        raise usage(str(exc)) from None
    colours: list[str] = []
    for value in params.get("COLOUR", []):
        for item in (part.strip().lower() for part in value.split(",")):
            if item and item not in colours:
                colours.append(item)
    format_text = one_value(params, "RESPONSEFORMAT")
    output = OUTPUT_FORMATS["application/fits"]
    if format_text:
        key = format_text.split(";", 1)[0].strip().lower()
        if key not in OUTPUT_FORMATS:
            raise usage(f"RESPONSEFORMAT {format_text!r} is not supported; use application/fits, "
                        "application/x-votable+xml or text/csv")
        output = OUTPUT_FORMATS[key]
        if format_text.strip().lower() != key and output.key == "votable":
            output = OutputFormat("votable", format_text.strip())
    return CutoutRequest(identifier, time, band, tuple(colours), output)


def select_bands(profile: SSAProfile, product_type: str, band: Range | None, colours: Sequence[str]) -> list[str]:
    """The bands of a product a cutout keeps (white first); empty when nothing overlaps."""
    available: tuple[Band, ...] = profile.bands_of(product_type)
    names = [b.name for b in available]
    unknown = [c for c in colours if c not in {b.name for b in profile.bands}]
    if unknown:
        raise usage(f"COLOUR {', '.join(unknown)} is not a CoRoT band; use white, red, green or blue")
    pixels = [b for b in available if b.name in COLOUR_BANDS] or [b for b in available if b.name == "white"]
    if band is None:
        selected = names
    else:
        low = -float("inf") if band.low is None else band.low
        high = float("inf") if band.high is None else band.high
        hit = [b.name for b in pixels if b.overlaps(low, high)]
        selected = hit
        if "white" in names and len(pixels) > 1 and len(hit) == len(pixels):
            selected = ["white", *hit]
    if colours:
        selected = [name for name in selected if name in colours]
    return selected


def barycentric_window(time: Range | None, ra: float, dec: float) -> tuple[float | None, float | None]:
    """The TIME interval (MJD UTC) as barycentric dates of the file (JD − 2 400 000)."""
    if time is None:
        return None, None
    bounds = [value for value in (time.low, time.high) if value is not None]
    converted = list(utc_mjd_to_barycentric(bounds, ra, dec)) if bounds else []
    low = float(converted.pop(0)) if time.low is not None else None
    high = float(converted.pop(0)) if time.high is not None else None
    return low, high


__all__ = [
    "COLOUR_BANDS",
    "OUTPUT_FORMATS",
    "CutoutRequest",
    "OutputFormat",
    "SodaError",
    "barycentric_window",
    "one_value",
    "parse_cutout",
    "select_bands",
    "usage",
]
