"""The registry declaration (``resources/registry/registry.toml``), typed and checked."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

PROFILE_PATH = Path(__file__).resolve().parent.parent / "resources" / "registry" / "registry.toml"
_FROZEN = ConfigDict(frozen=True, extra="forbid")


class Described(BaseModel):
    """A record's own title, short name and description."""

    model_config = _FROZEN

    suffix: str = ""
    title: str
    short_name: str | None = Field(default=None, max_length=16)
    description: str


class RegistrySpec(Described):
    max_records: int = Field(default=100, ge=1)


class CollectionSpec(Described):
    type: tuple[str, ...] = ()
    content_level: tuple[str, ...] = ()
    schemas: tuple[str, ...] = ()
    facility: str | None = None
    instrument: str | None = None
    wavebands: tuple[str, ...] = ()


class ServiceSpec(Described):
    """A service record: its capabilities come from the VOSI document of ``vosi``."""

    vosi: str
    tables: bool = False
    endpoint_standard: str | None = None
    access_suffix: str | None = None


class RegistryProfile(BaseModel):
    model_config = _FROZEN

    organisation: Described
    authority: Described
    registry: RegistrySpec
    collection: CollectionSpec
    services: tuple[ServiceSpec, ...]


@cache
def load_profile(path: Path = PROFILE_PATH) -> RegistryProfile:
    with path.open("rb") as handle:
        return RegistryProfile.model_validate(tomllib.load(handle))


__all__ = ["CollectionSpec", "Described", "RegistryProfile", "RegistrySpec", "ServiceSpec",
           "load_profile"]
