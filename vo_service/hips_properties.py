"""The HiPS surveys of a HiPS node's folder and their ``properties`` text (HiPS 1.0 §4.4),
read by the HiPS node that serves them and the registry that publishes them alike."""

from __future__ import annotations

import re
from pathlib import Path

#: A survey's folder name, also its URL path segment below the node.
SURVEY_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
#: Names that are routes of the HiPS node, never survey folders.
RESERVED = frozenset({"list", "moc", "viewer"})


def survey_folders(root: Path) -> dict[str, Path]:
    """Survey folders (those with a ``properties`` file) under a node's root, by name."""
    if not root.is_dir():
        return {}
    return {p.name: p for p in sorted(root.iterdir())
            if p.is_dir() and SURVEY_NAME.match(p.name) and p.name not in RESERVED and (p / "properties").is_file()}


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


__all__ = ["RESERVED", "SURVEY_NAME", "parse_properties", "survey_folders"]
