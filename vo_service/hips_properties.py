"""The HiPS ``properties`` text (HiPS 1.0 §4.4), read by the HiPS node and the registry alike."""

from __future__ import annotations


def parse_properties(text: str) -> dict[str, str]:
    """``keyword = value`` lines; blank lines and ``#`` comment lines are ignored, the last value wins."""
    result: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        result[key.strip()] = value.strip()
    return result


__all__ = ["parse_properties"]
