"""SSA range lists (SSA 1.1 §8.7.2) and DALI intervals (DALI 1.1 §3.3.4).

SSA writes ``a/b`` for a closed range, ``/b`` and ``a/`` for open ones, a single value for a
point, items separated by commas and an optional ``;qualifier``.  Dates in TIME follow the
restricted ISO 8601 subset of SSA 1.1 §4.1.1.4 (``yyyy``, ``yyyy-mm``, ``yyyy-mm-dd``,
``yyyy-mm-ddThh:mm[:ss[.fff]]``); an imprecise date stands for its whole period.
DALI/SODA intervals are two space-separated numbers, ``-Inf``/``+Inf`` for open ends.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

MJD_EPOCH = datetime(1858, 11, 17, tzinfo=UTC)
_ISO = re.compile(
    r"^(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})"
    r"(?:T(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2}(?:\.\d+)?))?Z?)?)?)?$"
)
_YEAR = re.compile(r"^\d{4}$")


class RangeError(ValueError):
    """A parameter value that is not a valid range list or interval."""


@dataclass(frozen=True)
class Range:
    """A closed range; None is an open end."""

    low: float | None
    high: float | None

    def overlaps(self, low: float, high: float) -> bool:
        return (self.low is None or self.low <= high) and (self.high is None or self.high >= low)


@dataclass(frozen=True)
class RangeList:
    items: tuple[Range | str, ...]
    qualifier: str | None = None


def split_range_list(text: str, name: str) -> tuple[list[str], str | None]:
    """Items and qualifier of an SSA list value (no embedded white space allowed)."""
    body, separator, qualifier = text.strip().partition(";")
    if not body:
        raise RangeError(f"{name} is empty")
    items = body.split(",")
    if any(item.strip() == "" for item in items):
        raise RangeError(f"{name}={text!r} has an empty list item")
    return [item.strip() for item in items], (qualifier.strip() or None) if separator else None


def _number(text: str, name: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise RangeError(f"{name}: {text!r} is not a number") from None
    if not math.isfinite(value):
        raise RangeError(f"{name}: {text!r} is not a finite number")
    return value


def numeric_range(item: str, name: str) -> Range:
    """``a``, ``a/b``, ``/b``, ``a/``; a third ``/step`` field is accepted and ignored."""
    parts = item.split("/")
    if len(parts) == 1:
        value = _number(parts[0], name)
        return Range(value, value)
    if len(parts) > 3:
        raise RangeError(f"{name}: {item!r} has too many '/' separators")
    low = _number(parts[0], name) if parts[0] else None
    high = _number(parts[1], name) if parts[1] else None
    if low is not None and high is not None and low > high:
        low, high = high, low  # SSA 1.1 §8.7.2: ordered range lists are sorted by the service
    return Range(low, high)


def parse_numeric_list(text: str, name: str, *, names_allowed: bool = False) -> RangeList:
    """A numeric range list; with ``names_allowed`` a non-numeric item is kept as a name."""
    items, qualifier = split_range_list(text, name)
    parsed: list[Range | str] = []
    for item in items:
        try:
            parsed.append(numeric_range(item, name))
        except RangeError:
            if not names_allowed or "/" in item:
                raise
            parsed.append(item)
    return RangeList(tuple(parsed), qualifier)


def _iso_period(text: str, name: str) -> tuple[datetime, datetime]:
    """The start and end of the period an ISO 8601 date or date-time stands for."""
    match = _ISO.match(text)
    if match is None:
        raise RangeError(f"{name}: {text!r} is not an ISO 8601 date (yyyy[-mm[-dd[Thh:mm[:ss]]]])")
    parts = match.groupdict()
    try:
        year = int(parts["year"])
        if parts["month"] is None:
            return datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
        month = int(parts["month"])
        if parts["day"] is None:
            start = datetime(year, month, 1, tzinfo=UTC)
            end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
            return start, end
        day = int(parts["day"])
        if parts["hour"] is None:
            start = datetime(year, month, day, tzinfo=UTC)
            return start, start + timedelta(days=1)
        seconds = float(parts["second"] or 0.0)
        moment = datetime(year, month, day, int(parts["hour"]), int(parts["minute"]), tzinfo=UTC)
        moment += timedelta(seconds=seconds)
        return moment, moment
    except ValueError as exc:
        raise RangeError(f"{name}: {text!r} is not a valid date ({exc})") from None


def mjd_of(moment: datetime) -> float:
    """Modified Julian Date of a UTC date-time (days of 86400 s)."""
    return (moment - MJD_EPOCH).total_seconds() / 86400.0


def _time_bound(text: str, name: str, end: bool) -> float:
    """One end of a TIME range as MJD (UTC).  Numbers other than four-digit years are MJD
    values, an extension to SSA 1.1 that the METADATA description documents."""
    if not _YEAR.match(text) and re.match(r"^[+-]?\d+(\.\d*)?([eE][+-]?\d+)?$", text):
        return _number(text, name)
    start, stop = _iso_period(text, name)
    return mjd_of(stop if end else start)


def parse_time_list(text: str, name: str = "TIME") -> RangeList:
    """TIME as ranges of MJD (UTC)."""
    items, qualifier = split_range_list(text, name)
    parsed: list[Range | str] = []
    for item in items:
        parts = item.split("/")
        if len(parts) > 2:
            raise RangeError(f"{name}: {item!r} has too many '/' separators")
        if len(parts) == 1:
            parsed.append(Range(_time_bound(item, name, False), _time_bound(item, name, True)))
            continue
        low = _time_bound(parts[0], name, False) if parts[0] else None
        high = _time_bound(parts[1], name, True) if parts[1] else None
        if low is not None and high is not None and low > high:
            # SSA 1.1 §8.7.2: an ordered range may be given backwards; it means the same.
            low, high = _time_bound(parts[1], name, False), _time_bound(parts[0], name, True)
        parsed.append(Range(low, high))
    return RangeList(tuple(parsed), qualifier)


def parse_interval(text: str, name: str) -> Range:
    """A DALI 1.1 §3.3.4 floating-point interval: two numbers, ``-Inf``/``+Inf`` allowed."""
    parts = text.split()
    if len(parts) != 2:
        raise RangeError(f"{name}={text!r} is not an interval: give two numbers separated by a space")
    values: list[float] = []
    for part in parts:
        try:
            values.append(float(part))
        except ValueError:
            raise RangeError(f"{name}: {part!r} is not a number") from None
    low, high = values
    if math.isnan(low) or math.isnan(high):
        raise RangeError(f"{name}: NaN is not a valid interval bound")
    if low > high:
        raise RangeError(f"{name}={text!r}: the lower bound exceeds the upper bound")
    return Range(None if math.isinf(low) else low, None if math.isinf(high) else high)


__all__ = [
    "Range",
    "RangeError",
    "RangeList",
    "mjd_of",
    "numeric_range",
    "parse_interval",
    "parse_numeric_list",
    "parse_time_list",
    "split_range_list",
]
