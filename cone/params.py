"""SCS request parameters: RA, DEC, SR, VERB (SCS 1.03 §2) and MAXREC, RESPONSEFORMAT (DALI 1.1
§3.2, taken up by SCS 1.1).

Parsing is pure: :func:`parse_cone_request` turns the parameters (read by
:mod:`vo_service.params`) into a
:class:`ConeRequest` or raises :class:`ConeError`, whose message becomes the SCS error
document (SCS 1.03 §2 item 3).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from vo_service.faults import UsageFault
from vo_service.params import DaliParams
from vo_service.votable.fields import Encoding
from vo_service.votable.formats import votable_response_format


class ConeError(Exception):
    """A request SCS 1.03 §2 says must be answered with an error document."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class OutputChoice:
    """The serialisation a response is written in and the media type announced for it."""

    encoding: Encoding
    media_type: str


#: SCS 1.03 §2 item 2: the base MIME type is text/xml, with content=x-votable allowed.
SCS_MEDIA_TYPE = "text/xml;content=x-votable"
VOTABLE_MEDIA_TYPE = "application/x-votable+xml"
#: BINARY2 (VOTable 1.3+) unless TABLEDATA is asked for: it is what DALI-era clients expect
#: and the cheapest serialisation to produce, which matters for a service answering
#: hundreds of cones per second.
DEFAULT_ENCODING: Encoding = "binary2"
DEFAULT_OUTPUT = OutputChoice(DEFAULT_ENCODING, SCS_MEDIA_TYPE)


@dataclass(frozen=True)
class ConeRequest:
    """A valid cone search."""

    ra: float
    dec: float
    sr: float
    verb: int
    maxrec: int
    output: OutputChoice

    @property
    def metadata_only(self) -> bool:
        """SR=0 asks for the FIELDs only (SCS 1.03 erratum; like MAXREC=0 in DALI)."""
        return self.sr == 0.0


def _single(params: DaliParams, name: str) -> str | None:
    """SCS parameters are single-valued (SCS 1.03 §2); the reader refuses conflicting repeats."""
    try:
        return params.single(name)
    except UsageFault as fault:
        raise ConeError(fault.message) from None


def _number(params: DaliParams, name: str, meaning: str) -> float:
    text = _single(params, name)
    if text is None or text == "":
        raise ConeError(f"{name} is required: the {meaning} in decimal degrees (SCS requires RA, DEC and SR)")
    try:
        value = float(text)
    except ValueError:
        raise ConeError(f"{name}: {text!r} is not a valid decimal number of degrees") from None
    if not math.isfinite(value):
        raise ConeError(f"{name}: {text!r} is not a finite number of degrees")
    return value


def parse_output(text: str | None) -> OutputChoice:
    """RESPONSEFORMAT (DALI 1.1 §3.2.4): VOTable in any of its serialisations, read as every
    VOTable-only service reads it; ``votable`` or absent give the SCS media type."""
    try:
        encoding, media_type = votable_response_format(text, SCS_MEDIA_TYPE)
    except UsageFault as fault:
        raise ConeError(fault.message) from None
    return OutputChoice(encoding, media_type)


def parse_cone_request(
    params: DaliParams, *, max_sr: float, default_verb: int, default_maxrec: int, hard_maxrec: int
) -> ConeRequest:
    """Validate a cone search: RA in [0, 360], DEC in [-90, 90], SR in [0, max_sr]."""
    ra = _number(params, "RA", "right ascension (ICRS) of the cone centre")
    dec = _number(params, "DEC", "declination (ICRS) of the cone centre")
    sr = _number(params, "SR", "radius of the cone")
    if not 0.0 <= ra <= 360.0:
        raise ConeError(f"RA={ra:g} is out of range: it must lie in [0, 360] degrees")
    if not -90.0 <= dec <= 90.0:
        raise ConeError(f"DEC={dec:g} is out of range: it must lie in [-90, 90] degrees")
    if sr < 0.0:
        raise ConeError(f"SR={sr:g} is negative: the search radius must be at least 0 degrees")
    if sr > max_sr:
        raise ConeError(f"SR={sr:g} exceeds the largest search radius of this service, {max_sr:g} degrees")
    verb_text = _single(params, "VERB")
    verb = default_verb
    if verb_text:
        if verb_text not in {"1", "2", "3"}:
            raise ConeError(f"VERB={verb_text!r} is not valid: use 1 (fewest columns), 2 or 3 (all columns)")
        verb = int(verb_text)
    try:
        maxrec = params.maxrec(default_maxrec, hard_maxrec).rows
    except UsageFault as fault:
        raise ConeError(fault.message) from None
    output = parse_output(_single(params, "RESPONSEFORMAT"))
    return ConeRequest(ra=ra, dec=dec, sr=sr, verb=verb, maxrec=maxrec, output=output)


__all__ = [
    "DEFAULT_OUTPUT",
    "SCS_MEDIA_TYPE",
    "VOTABLE_MEDIA_TYPE",
    "ConeError",
    "ConeRequest",
    "OutputChoice",
    "parse_cone_request",
    "parse_output",
]
