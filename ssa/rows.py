"""Rows of an SSA queryData response, derived from ``corot.lightcurves`` one batch at a time.

Each light curve gives one row per requested format (SSA 1.1 §4.1.1.5: with FORMAT=all the
service "should describe all available formats"), in the order of the products; the rows of
a product differ only in Access.Reference, Access.Format, Access.Size and Dataset.DataModel.
Every value is computed with Arrow/numpy kernels over the whole batch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ssa.params import Position
from ssa.profile import FormatSpec, SSAProfile
from ssa.targets import TargetNames
from vo_service.spatial import angular_distance


@dataclass(frozen=True)
class RowContext:
    """What the derivations need besides the stored columns."""

    profile: SSAProfile
    names: TargetNames
    products_url: str  # .../ssa/products
    preview_url: str  # .../ssa/preview
    did_prefix: str  # ivo://<authority>/corot?
    formats: tuple[FormatSpec, ...]
    position: Position | None


@dataclass(frozen=True)
class _Rows:
    """A batch with each product repeated once per format, and each row's format index."""

    batch: pa.RecordBatch
    fmt: pa.Array
    context: RowContext

    def column(self, name: str) -> pa.Array:
        return self.batch.column(name)

    def per_format(self, values: Sequence[object], type_: pa.DataType) -> pa.Array:
        return pc.take(pa.array(values, type_), self.fmt)


def _map_values(array: pa.Array, mapping: Callable[[object], object], type_: pa.DataType) -> pa.Array:
    """Apply a Python mapping to the distinct values of a column, then expand (few distinct)."""
    encoded = pc.dictionary_encode(array)
    dictionary = encoded.dictionary.to_pylist()
    mapped = pa.array([mapping(value) for value in dictionary], type_)
    return pc.take(mapped, encoded.indices)


def _access_url(rows: _Rows) -> pa.Array:
    ctx = rows.context
    prefixes = [f"{ctx.preview_url if spec.graphic else ctx.products_url}/" for spec in ctx.formats]
    suffixes = [f".{spec.suffix}" for spec in ctx.formats]
    return pc.binary_join_element_wise(rows.per_format(prefixes, pa.string()), rows.column("product_id"),
                                       rows.per_format(suffixes, pa.string()), "")


def _access_size(rows: _Rows) -> pa.Array:
    formats = rows.context.formats
    fixed = rows.per_format([spec.bytes_fixed for spec in formats], pa.int64())
    per_point = rows.per_format([spec.bytes_per_point for spec in formats], pa.int64())
    native = rows.per_format([spec.native for spec in formats], pa.bool_())
    points = pc.cast(pc.fill_null(rows.column("n_points"), 0), pa.int64())
    estimate = pc.add(fixed, pc.multiply(per_point, points))
    return pc.if_else(native, pc.cast(rows.column("file_size"), pa.int64()), estimate)


def _score(rows: _Rows) -> pa.Array:
    position = rows.context.position
    if position is None:
        return pa.nulls(rows.batch.num_rows, pa.float32())
    ra = rows.column("ra").to_numpy(zero_copy_only=False)
    dec = rows.column("dec").to_numpy(zero_copy_only=False)
    distance = angular_distance(ra, dec, position.ra, position.dec)
    score = np.clip(1.0 - distance / position.radius, 0.0, 1.0) if position.radius > 0 else np.ones_like(distance)
    return pa.array(score.astype(np.float32))


def _publisher_did(rows: _Rows) -> pa.Array:
    return pc.binary_join_element_wise(rows.context.did_prefix, rows.column("product_id"), "")


def _target_name(rows: _Rows) -> pa.Array:
    names = rows.context.names
    return _map_values(rows.column("corot_id"), lambda value: names.name_of(int(str(value))), pa.string())


def _title(rows: _Rows) -> pa.Array:
    return pc.binary_join_element_wise(_target_name(rows), rows.column("run_code"), rows.column("product_type"),
                                       "light curve", " ")


def _product_value(rows: _Rows, attribute: Callable[[str], object], type_: pa.DataType) -> pa.Array:
    return _map_values(rows.column("product_type"), lambda value: attribute(str(value)), type_)


def _position(rows: _Rows) -> pa.Array:
    ra = rows.column("ra").to_numpy(zero_copy_only=False).astype(np.float64)
    dec = rows.column("dec").to_numpy(zero_copy_only=False).astype(np.float64)
    return pa.FixedSizeListArray.from_arrays(pa.array(np.column_stack([ra, dec]).ravel()), 2)


def _t_mid(rows: _Rows) -> pa.Array:
    return pc.divide(pc.add(rows.column("t_min"), rows.column("t_max")), 2.0)


def _t_extent(rows: _Rows) -> pa.Array:
    return pc.multiply(pc.subtract(rows.column("t_max"), rows.column("t_min")), 86400.0)


def _rights(rows: _Rows) -> pa.Array:
    public = pc.fill_null(pc.equal(rows.column("access_group"), "public"), True)
    return pc.if_else(public, "public", "proprietary")


def _bandpass(profile: SSAProfile) -> Callable[[str], object]:
    return lambda product_type: "CoRoT " + ", ".join(profile.product(product_type).bands)


DERIVATIONS: Mapping[str, Callable[[_Rows], pa.Array]] = {
    "score": _score,
    "access_url": _access_url,
    "access_format": lambda rows: rows.per_format([spec.mime for spec in rows.context.formats], pa.string()),
    "access_size": _access_size,
    "preview_url": lambda rows: pc.binary_join_element_wise(f"{rows.context.preview_url}/",
                                                            rows.column("product_id"), ".png", ""),
    "data_model": lambda rows: rows.per_format([spec.data_model for spec in rows.context.formats], pa.string()),
    "title": _title,
    "publisher_did": _publisher_did,
    "instrument": lambda rows: _product_value(rows, lambda t: rows.context.profile.product(t).instrument,
                                              pa.string()),
    "bandpass": lambda rows: _product_value(rows, _bandpass(rows.context.profile), pa.string()),
    "rights": _rights,
    "target_name": _target_name,
    "position": _position,
    "aperture": lambda rows: _product_value(rows, lambda t: rows.context.profile.product(t).aperture,
                                            pa.float64()),
    "t_mid": _t_mid,
    "t_extent": _t_extent,
}


def response_batches(batches: Iterable[pa.RecordBatch], context: RowContext) -> Iterator[pa.RecordBatch]:
    """Stored lightcurves batches → queryData response batches (columns of ssa.toml)."""
    fields = context.profile.fields
    names = [spec.name for spec in fields]
    per_product = len(context.formats)
    for batch in batches:
        if batch.num_rows == 0:
            continue
        order = np.repeat(np.arange(batch.num_rows), per_product)
        fmt = pa.array(np.tile(np.arange(per_product), batch.num_rows))
        rows = _Rows(batch.take(pa.array(order)), fmt, context)
        arrays = []
        for spec in fields:
            column = spec.stored_column
            arrays.append(rows.column(column) if column else DERIVATIONS[spec.source](rows))
        yield pa.RecordBatch.from_arrays(arrays, names=names)


__all__ = ["DERIVATIONS", "RowContext", "response_batches"]
