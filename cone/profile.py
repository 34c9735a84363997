"""The cone-search profile: endpoints, VERB column sets and the SCS 1.03 UCD1 columns.

Everything is derived from two declarations: the table columns of ``resources/tables/`` (the
shared :class:`~vo_service.metadata.Catalogue`) and ``resources/scs/scs.toml`` (which
endpoints exist and how the profile is produced).  The column sets are computed once, when
the application starts, so a request only picks a prepared :class:`ColumnSet`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from resources import RESOURCES_DIR
from vo_service.metadata import Catalogue, ColumnMeta, TableMeta

PROFILE_PATH = RESOURCES_DIR / "scs" / "scs.toml"
VERB_LEVELS = (1, 2, 3)
MAIN_QUALIFIER = ";meta.main"

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class ServiceLimits(BaseModel):
    """[service] of scs.toml: limits and the resource-profile facts of SCS 1.03 §3."""

    model_config = _FROZEN

    max_sr: float = Field(gt=0, le=180)
    default_verb: int = Field(ge=1, le=3)
    default_maxrec: int = Field(ge=0)
    instrument: str
    waveband: str


class ProductDid(BaseModel):
    """The N2 product of a record as a publisher DID (the ID of the DataLink service)."""

    model_config = _FROZEN

    name: str
    datatype: str
    ucd: str
    description: str
    source: str
    verb: int = Field(ge=1, le=3)
    template: str


class SampleQuery(BaseModel):
    model_config = _FROZEN

    ra: float
    dec: float
    sr: float


class CatalogueSpec(BaseModel):
    """One cone-search endpoint: a table, optionally restricted to a subset of its rows."""

    model_config = _FROZEN

    name: str
    paths: tuple[str, ...] = Field(min_length=1)
    table: str
    title: str
    description: str
    where: Mapping[str, tuple[str, ...]] = Field(default_factory=dict)
    test_query: SampleQuery


class ConeProfile(BaseModel):
    """The whole of scs.toml."""

    model_config = _FROZEN

    service: ServiceLimits
    ucd1: Mapping[str, str]
    product_did: ProductDid
    catalogues: tuple[CatalogueSpec, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> ConeProfile:
        names = [c.name for c in self.catalogues]
        paths = [p for c in self.catalogues for p in c.paths]
        if len(set(names)) != len(names) or len(set(paths)) != len(paths):
            raise ValueError("cone-search catalogue names and paths must be unique")
        return self


def load_profile(path: Path = PROFILE_PATH) -> ConeProfile:
    """Read and validate ``resources/scs/scs.toml``."""
    raw: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    return ConeProfile.model_validate(raw)


@dataclass(frozen=True)
class OutputColumn:
    """A response column: its FIELD metadata and where its values come from.

    ``source`` names a stored column; the product DID is computed from the stored
    observation identifier (``derived``), so it has no stored source of its own.
    """

    meta: ColumnMeta
    source: str | None
    derived: str | None = None


@dataclass(frozen=True)
class ColumnSet:
    """The columns of one endpoint at one VERB level, and the stored columns they read."""

    columns: tuple[OutputColumn, ...]
    stored: tuple[str, ...]

    @property
    def metas(self) -> tuple[ColumnMeta, ...]:
        return tuple(column.meta for column in self.columns)

    def index_of(self, name: str) -> int:
        for index, column in enumerate(self.columns):
            if column.meta.name == name:
                return index
        raise KeyError(name)


def scs_ucd(ucd: str | None, ucd1: Mapping[str, str]) -> str | None:
    """The UCD a column carries in an SCS response.

    The three main UCD1+ values become their UCD1 names (SCS 1.03 §2): the observation
    identifier (``meta.id;meta.main``, one per row) is the ID_MAIN column.  Any other
    ``;meta.main`` qualifier is dropped, so that each kind of main column appears once.
    """
    if ucd is None:
        return None
    if ucd in ucd1:
        return ucd1[ucd]
    if ucd.endswith(MAIN_QUALIFIER):
        return ucd[: -len(MAIN_QUALIFIER)]
    return ucd


def _product_did_meta(profile: ConeProfile) -> ColumnMeta:
    spec = profile.product_did
    return ColumnMeta(name=spec.name, datatype="char", arraysize="*", ucd=spec.ucd,
                      description=spec.description, verb=spec.verb)


def column_set(profile: ConeProfile, table: TableMeta, verb: int) -> ColumnSet:
    """Columns of a response at ``verb``: the table's columns whose declared ``verb`` level
    is at most ``verb`` (its ``meta.id;meta.main`` column is the record identifier SCS 1.03
    §2 asks for), then the product DID."""
    if not table.has_column(profile.product_did.source):
        raise ValueError(f"scs.toml refers to {profile.product_did.source!r}, which {table.name} does not declare")
    columns: list[OutputColumn] = []
    for column in table.columns:
        if column.verb <= verb:
            meta = column.model_copy(update={"ucd": scs_ucd(column.ucd, profile.ucd1)})
            columns.append(OutputColumn(meta, column.name))
    if profile.product_did.verb <= verb:
        columns.append(OutputColumn(_product_did_meta(profile), None, derived="product_did"))
    stored: list[str] = []
    for output in columns:
        needed = [output.source] if output.source else [profile.product_did.source]
        for name in needed:
            if name not in stored:
                stored.append(name)
    check_ucd1_profile(profile, [c.meta for c in columns])
    return ColumnSet(tuple(columns), tuple(stored))


def check_ucd1_profile(profile: ConeProfile, columns: list[ColumnMeta]) -> None:
    """SCS 1.03 §2: exactly one FIELD per UCD1 main value; the id a character array and the
    position double.  Raised at start-up, so a bad declaration never reaches a client."""
    for ucd1 in profile.ucd1.values():
        carriers = [c for c in columns if c.ucd == ucd1]
        if len(carriers) != 1:
            raise ValueError(f"a cone-search response must have exactly one {ucd1} column, has {len(carriers)}")
        column = carriers[0]
        if ucd1 == "ID_MAIN" and column.datatype not in {"char", "unicodeChar"}:
            raise ValueError("the ID_MAIN column must be a character array (SCS 1.03 §2)")
        if ucd1 != "ID_MAIN" and column.datatype not in {"float", "double"}:
            raise ValueError(f"the {ucd1} column must be float or double (SCS 1.03 §2)")


@dataclass(frozen=True)
class Endpoint:
    """A cone-search endpoint ready to serve: its table and its column set per VERB."""

    spec: CatalogueSpec
    table: TableMeta
    column_sets: Mapping[int, ColumnSet]


def build_endpoints(profile: ConeProfile, catalogue: Catalogue) -> dict[str, Endpoint]:
    """Every endpoint of the profile with its column sets, keyed by catalogue name."""
    endpoints: dict[str, Endpoint] = {}
    for spec in profile.catalogues:
        table = catalogue.table(spec.table)
        if table.spatial is None:
            raise ValueError(f"{table.name} has no declared position; it cannot be cone-searched")
        for column in spec.where:
            table.column(column)
        sets = {verb: column_set(profile, table, verb) for verb in VERB_LEVELS}
        endpoints[spec.name] = Endpoint(spec, table, sets)
    return endpoints


__all__ = [
    "PROFILE_PATH",
    "VERB_LEVELS",
    "CatalogueSpec",
    "ColumnSet",
    "ConeProfile",
    "Endpoint",
    "OutputColumn",
    "build_endpoints",
    "check_ucd1_profile",
    "column_set",
    "load_profile",
    "scs_ucd",
]
