"""The SSA profile of the light curves, read from ``resources/ssa/ssa.toml``.

The file declares the bands, product types, download formats, the columns and PARAMs of a
queryData response with their ``ssa:`` utypes (SSA 1.1 §4.2, appendix D) and the input
parameters of FORMAT=METADATA (SSA 1.1 §6.2).  :func:`load_profile` validates it against the
columns of ``corot.lightcurves`` and the derivations :mod:`ssa.rows` implements, so a bad
declaration stops the service at start-up instead of producing a wrong document.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from resources import RESOURCES_DIR
from vo_service.metadata import ColumnMeta, FieldMeta, TableMeta

PROFILE_PATH = RESOURCES_DIR / "ssa" / "ssa.toml"
COLUMN_PREFIX = "column:"

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class ServiceSettings(BaseModel):
    model_config = _FROZEN

    default_maxrec: int = Field(ge=0)
    default_size: float = Field(gt=0)
    max_size: float = Field(gt=0)
    collection_names: tuple[str, ...]
    max_datalink_ids: int = Field(ge=1)
    preview_width: int = Field(ge=100)
    preview_height: int = Field(ge=100)


class Band(BaseModel):
    """A photometric band, wavelengths in metres."""

    model_config = _FROZEN

    name: str
    min: float = Field(gt=0)
    max: float = Field(gt=0)
    description: str

    @property
    def mid(self) -> float:
        return (self.min + self.max) / 2

    @property
    def extent(self) -> float:
        return self.max - self.min

    def overlaps(self, low: float, high: float) -> bool:
        return low <= self.max and high >= self.min


class ProductSpec(BaseModel):
    model_config = _FROZEN

    type: str
    bands: tuple[str, ...] = Field(min_length=1)
    instrument: str
    aperture: float = Field(gt=0)


class FormatSpec(BaseModel):
    """A download format of a light curve (SSA 1.1 §4.1.1.5, §7.2)."""

    model_config = _FROZEN

    key: str
    mime: str
    suffix: str
    data_model: str
    compliant: bool = False
    native: bool = False
    graphic: bool = False
    aliases: tuple[str, ...] = ()
    bytes_fixed: int = Field(ge=0)
    bytes_per_point: int = Field(ge=0)
    description: str


def _text_of_any_length(data: Any) -> Any:
    """PARAMs declared ``char`` without an arraysize hold text of any length (``arraysize="*"``)."""
    if isinstance(data, dict) and data.get("datatype") == "char" and data.get("arraysize") is None:
        return {**data, "arraysize": "*"}
    return data


class ParamSpec(FieldMeta):
    """A constant of the queryData response, written as a PARAM: its field metadata and value."""

    value: str | None = None
    band_value: Literal["mid", "min", "max", "extent"] | None = None
    description: str

    _text = model_validator(mode="before")(_text_of_any_length)

    @model_validator(mode="after")
    def _one_value(self) -> ParamSpec:
        if (self.value is None) == (self.band_value is None):
            raise ValueError(f"param {self.name}: give exactly one of value and band_value")
        return self


class ResponseField(ColumnMeta):
    """A column of the queryData response (its metadata) and where its values come from."""

    source: str
    description: str

    def meta(self) -> ColumnMeta:
        return ColumnMeta.model_validate(self.model_dump(exclude={"source"}))

    @property
    def stored_column(self) -> str | None:
        return self.source.removeprefix(COLUMN_PREFIX) if self.source.startswith(COLUMN_PREFIX) else None


class InputSpec(FieldMeta):
    """An input parameter of queryData, described by FORMAT=METADATA as PARAM ``INPUT:<name>``."""

    value: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    options: tuple[str, ...] = ()
    options_from: Literal["bands", "formats", "collections", "runs"] | None = None
    description: str

    _text = model_validator(mode="before")(_text_of_any_length)


class SSAProfile(BaseModel):
    model_config = _FROZEN

    service: ServiceSettings
    bands: tuple[Band, ...] = Field(min_length=1)
    products: tuple[ProductSpec, ...] = Field(min_length=1)
    formats: tuple[FormatSpec, ...] = Field(min_length=1)
    params: tuple[ParamSpec, ...]
    fields: tuple[ResponseField, ...] = Field(min_length=1)
    inputs: tuple[InputSpec, ...]

    @model_validator(mode="after")
    def _consistent(self) -> SSAProfile:
        bands = {band.name for band in self.bands}
        if "white" not in bands:
            raise ValueError("ssa.toml must declare the white band")
        for product in self.products:
            unknown = set(product.bands) - bands
            if unknown:
                raise ValueError(f"product {product.type} refers to unknown bands {sorted(unknown)}")
        names = [f.name for f in self.fields] + [p.name for p in self.params]
        if len(set(names)) != len(names):
            raise ValueError("ssa.toml declares a field or param name twice")
        return self

    def band(self, name: str) -> Band:
        for band in self.bands:
            if band.name == name:
                return band
        raise KeyError(name)

    @property
    def white(self) -> Band:
        return self.band("white")

    def product(self, product_type: str) -> ProductSpec:
        for product in self.products:
            if product.type == product_type:
                return product
        raise KeyError(product_type)

    def format(self, key: str) -> FormatSpec:
        for spec in self.formats:
            if spec.key == key:
                return spec
        raise KeyError(key)

    def bands_of(self, product_type: str) -> tuple[Band, ...]:
        """The bands a product type carries, white first."""
        return tuple(self.band(name) for name in self.product(product_type).bands)

    def stored_columns(self) -> tuple[str, ...]:
        """The lightcurves columns a query must read to fill every field."""
        needed: list[str] = []
        for spec in self.fields:
            column = spec.stored_column
            wanted = [column] if column else list(DERIVED_INPUTS.get(spec.source, ()))
            for name in wanted:
                if name not in needed:
                    needed.append(name)
        return tuple(needed)


#: Derived field sources and the lightcurves columns each one reads (see :mod:`ssa.rows`).
DERIVED_INPUTS: Mapping[str, tuple[str, ...]] = {
    "score": ("ra", "dec"),
    "access_url": ("product_id",),
    "access_format": (),
    "access_size": ("file_size", "n_points"),
    "preview_url": ("product_id",),
    "data_model": (),
    "title": ("product_id", "corot_id", "run_code", "product_type"),
    "publisher_did": ("product_id",),
    "instrument": ("product_type",),
    "bandpass": ("product_type",),
    "rights": ("access_group",),
    "target_name": ("corot_id",),
    "position": ("ra", "dec"),
    "aperture": ("product_type",),
    "t_mid": ("t_min", "t_max"),
    "t_extent": ("t_min", "t_max"),
}


def load_profile(table: TableMeta, path: Path = PROFILE_PATH) -> SSAProfile:
    """Read ``ssa.toml`` and check it against ``table`` (corot.lightcurves)."""
    raw: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    profile = SSAProfile.model_validate(raw)
    for spec in profile.fields:
        column = spec.stored_column
        if column is not None:
            if not table.has_column(column):
                raise ValueError(f"ssa.toml field {spec.name}: {table.name} has no column {column!r}")
        elif spec.source not in DERIVED_INPUTS:
            raise ValueError(f"ssa.toml field {spec.name}: unknown source {spec.source!r}")
    for name in profile.stored_columns():
        table.column(name)
    return profile


__all__ = [
    "DERIVED_INPUTS",
    "PROFILE_PATH",
    "Band",
    "FormatSpec",
    "InputSpec",
    "ParamSpec",
    "ProductSpec",
    "ResponseField",
    "SSAProfile",
    "load_profile",
]
