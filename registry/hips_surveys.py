"""The HiPS this service publishes, read from the HiPS tree as a HiPS client reads it.

A survey is a folder of the HiPS root with a ``properties`` file (HiPS 1.0 §4.4) and its
coverage in ``Moc.fits`` (HiPS 1.0 §4.4.2, MOC 2.0 §5.3).  The registry publishes a record
for each survey whose ``creator_did`` is an identifier of this service's naming authority
(HiPS 1.0 §4.4.1: the creator_did is the IVOID of the HiPS); a survey copied from elsewhere
keeps its creator's identifier and is left to its creator's registry, and a survey whose
``hips_status`` says ``private`` is not announced.

The MOC goes into the record as VODataService 1.2 §3.3 asks: an ASCII MOC (MOC 2.0
§4.3.2) at order 6 at least, and as fine as keeps it below a few dozen kilobytes.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from mocpy import MOC

from vo_service.hips_properties import parse_properties, survey_folders

log = logging.getLogger(__name__)

#: Survey folder names the HiPS node serves (``/hips/<name>``).
#: An IVOA identifier of a registry record: authority and resource key (IVOA Identifiers 2.0 §2.2).
RESOURCE_IVOID = re.compile(r"ivo://[\w\-.!~*'()+=]{3,}(/[\w\-.!~*'()+=]+)+")
#: The coverage in a record: at least this order (about 1°, VODataService 1.2 §3.3) ...
MIN_MOC_ORDER = 6
#: ... and at most this order (cells of 7'), as long as the text stays below MAX_MOC_CHARS.
MAX_MOC_ORDER = 9
MAX_MOC_CHARS = 32_000


@dataclass(frozen=True)
class Survey:
    """One published HiPS: folder name, root URL, properties and coverage (``Moc.fits``)."""

    name: str
    url: str
    properties: Mapping[str, str]
    moc: MOC | None

    @property
    def moc_url(self) -> str:
        return f"{self.url}/Moc.fits"

    @property
    def creator_did(self) -> str:
        return self.properties["creator_did"]

    def value(self, key: str) -> str | None:
        text = self.properties.get(key, "").strip()
        return text or None

    def number(self, key: str) -> float | None:
        try:
            return float(self.properties[key])
        except (KeyError, ValueError):
            return None


def registry_moc(moc: MOC) -> str:
    """The ASCII MOC of a record: the finest order from MAX_MOC_ORDER down to MIN_MOC_ORDER
    whose text fits MAX_MOC_CHARS (order MIN_MOC_ORDER whatever its length)."""
    top = min(int(moc.max_order), MAX_MOC_ORDER)
    text = ""
    for order in range(top, min(top, MIN_MOC_ORDER) - 1, -1):
        degraded = moc if order >= moc.max_order else moc.degrade_to_order(order)
        text = str(degraded.to_string(format="ascii")).strip()
        if len(text) <= MAX_MOC_CHARS:
            break
    return text


def read_moc(path: Path) -> MOC | None:
    """A survey's coverage from its ``Moc.fits``; None if absent or unreadable."""
    if not path.is_file():
        return None
    try:
        return MOC.load(str(path), format="fits")
    except (OSError, ValueError, KeyError, IndexError) as exc:
        log.warning("the MOC of a HiPS cannot be read; its record has no spatial coverage",
                    extra={"path": str(path), "error": str(exc)})
        return None


def union_moc(mocs: Sequence[MOC]) -> MOC | None:
    """The sky covered by any of ``mocs``."""
    if not mocs:
        return None
    return mocs[0].union(*mocs[1:]) if len(mocs) > 1 else mocs[0]


def published_surveys(hips_dir: Path, base_url: str, authority: str) -> list[Survey]:
    """The surveys under ``hips_dir`` whose creator_did belongs to ``authority``, by name."""
    prefix = f"ivo://{authority.lower()}/"
    found = []
    for folder in survey_folders(hips_dir).values():
        try:
            properties = parse_properties((folder / "properties").read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            continue
        creator_did = properties.get("creator_did", "")
        if not creator_did.lower().startswith(prefix) or not properties.get("obs_title"):
            continue
        if not RESOURCE_IVOID.fullmatch(creator_did):
            log.warning("a HiPS whose creator_did is not a resource identifier is not published",
                        extra={"survey": folder.name, "creator_did": creator_did})
            continue
        if "private" in properties.get("hips_status", "").lower().split():
            continue  # HiPS 1.0 §4.4.1: not for public use
        found.append(Survey(folder.name, f"{base_url}/hips/{folder.name}", properties,
                            read_moc(folder / "Moc.fits")))
    return found


__all__ = ["MAX_MOC_CHARS", "MAX_MOC_ORDER", "MIN_MOC_ORDER", "Survey", "parse_properties", "published_surveys",
           "read_moc", "registry_moc", "union_moc"]
