"""The curation of the CoRoT collection (``resources/curation.toml``), declared once.

SSA's DataID/Curation PARAMs, the HiPS properties and the registry records all describe who
made, publishes and owns the data; they read it here rather than each restating it.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from resources import RESOURCES_DIR

CURATION_PATH = RESOURCES_DIR / "curation.toml"


class Curation(BaseModel):
    """Creator, acknowledgement, rights and contact of the collection (VOResource 1.1 §3.1.2)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    creator: str
    acknowledgement: str
    copyright: str
    copyright_url: str
    rights: str
    rights_uri: str
    contact_name: str
    subjects: tuple[str, ...] = Field(min_length=1)
    created: str
    version: str
    reference_url: str = "/"


@cache
def load_curation(path: Path = CURATION_PATH) -> Curation:
    with path.open("rb") as handle:
        return Curation.model_validate(tomllib.load(handle))


__all__ = ["CURATION_PATH", "Curation", "load_curation"]
