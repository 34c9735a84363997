"""Arrow columns → normalised cell values, shared by every output encoder.

Each function works on a whole Arrow array at once (pyarrow compute kernels and numpy), so
that encoding a record batch never loops over cells in Python.  The value rules follow
VOTable 1.4/1.5 §6 (primitive datatypes), §5.5 (nulls) and DALI 1.1 §3 (timestamps,
geometry arrays).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from vo_service.votable.fields import INTEGER_TYPES, FieldSpec

#: Numpy dtypes (native byte order) of the VOTable numeric datatypes (VOTable 1.4 §6).
NUMPY_TYPES: Mapping[str, np.dtype[Any]] = {
    "unsignedByte": np.dtype(np.uint8),
    "short": np.dtype(np.int16),
    "int": np.dtype(np.int32),
    "long": np.dtype(np.int64),
    "float": np.dtype(np.float32),
    "double": np.dtype(np.float64),
}

ARROW_TYPES: Mapping[str, pa.DataType] = {
    "unsignedByte": pa.uint8(),
    "short": pa.int16(),
    "int": pa.int32(),
    "long": pa.int64(),
    "float": pa.float32(),
    "double": pa.float64(),
    "boolean": pa.bool_(),
    "char": pa.string(),
    "unicodeChar": pa.string(),
}

#: ``plain`` is for attribute values (PARAM): the XML library escapes them itself.
TextStyle = Literal["tabledata", "plain", "csv", "tsv"]

_ASTRAL = r"[\x{10000}-\x{10FFFF}]"
_XML_ILLEGAL = r"[\x00-\x08\x0B\x0C\x0E-\x1F\x{FFFE}\x{FFFF}]"
_CSV_NEEDS_QUOTES = r"[,\"\r\n]"
_TSV_SEPARATORS = r"[\t\r\n]"


def null_mask(array: pa.Array) -> npt.NDArray[np.bool_] | None:
    """True where a cell is null; None when the array has no nulls (the common case)."""
    if array.null_count == 0:
        return None
    return np.asarray(array.is_null().to_numpy(zero_copy_only=False), dtype=np.bool_)


def _plain_string(array: pa.Array) -> pa.Array:
    """Any string-like Arrow array as ``string`` (utf8) or ``large_string``."""
    if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
        return array
    if pa.types.is_string_view(array.type):
        return pc.cast(array, pa.large_string())
    if pa.types.is_binary(array.type) or pa.types.is_large_binary(array.type):
        return pc.cast(array, pa.large_string())
    return pc.cast(array, pa.string())


def value_offsets(array: pa.Array) -> npt.NDArray[np.int64]:
    """The ``len + 1`` value offsets of a (large) string or binary array, slice-aware."""
    width = np.int64 if pa.types.is_large_string(array.type) or pa.types.is_large_binary(array.type) else np.int32
    raw = np.frombuffer(array.buffers()[1], dtype=width, count=len(array) + 1, offset=array.offset * width().itemsize)
    return raw.astype(np.int64)


def value_data(array: pa.Array) -> pa.Buffer | bytes:
    """The concatenated values of a string or binary array (zero copy where possible)."""
    offsets = value_offsets(array)
    data = array.buffers()[2]
    if data is None or offsets[-1] == offsets[0]:
        return b""
    start, end = int(offsets[0]), int(offsets[-1])
    return data if start == 0 and end == data.size else data.slice(start, end - start)


# -- numbers --------------------------------------------------------------------------------


def as_datatype(spec: FieldSpec, array: pa.Array) -> pa.Array:
    """Cast a numeric or boolean column to its declared VOTable datatype (checked cast)."""
    target = ARROW_TYPES[spec.datatype]
    if array.type == target:
        return array
    if pa.types.is_null(array.type):
        return pa.nulls(len(array), target)
    return pc.cast(array, target)


def scalar_values(spec: FieldSpec, array: pa.Array) -> tuple[npt.NDArray[Any], npt.NDArray[np.bool_] | None]:
    """Numeric cells as a numpy array of the declared type; nulls filled with 0 or NaN.

    Filling follows the BINARY2 recommendation (VOTable 1.4 §5.4): NaN for floating point,
    zero for integers; BINARY callers overwrite integer nulls with the magic value.
    """
    typed = as_datatype(spec, array)
    nulls = null_mask(typed)
    if nulls is not None:
        fill = 0 if spec.datatype in INTEGER_TYPES else float("nan")
        typed = pc.fill_null(typed, pa.scalar(fill, typed.type))
    values = np.asarray(typed.to_numpy(zero_copy_only=False), dtype=NUMPY_TYPES[spec.datatype])
    return values, nulls


def boolean_bytes(array: pa.Array) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.bool_] | None]:
    """Booleans as the ASCII bytes ``T``, ``F`` and ``?`` for null (VOTable 1.4 §6)."""
    typed = array if pa.types.is_boolean(array.type) else pc.cast(array, pa.bool_())
    nulls = null_mask(typed)
    truth = np.asarray(pc.fill_null(typed, False).to_numpy(zero_copy_only=False), dtype=np.bool_)
    out = np.where(truth, np.uint8(ord("T")), np.uint8(ord("F"))).astype(np.uint8)
    if nulls is not None:
        out[nulls] = ord("?")
    return out, nulls


# -- numeric arrays -------------------------------------------------------------------------


@dataclass(frozen=True)
class ArrayCells:
    """Numeric array cells flattened: ``values[offsets[i]:offsets[i+1]]`` is row ``i``.

    Null rows have zero length for variable arrays and are filled (NaN or 0) for fixed ones.
    """

    offsets: npt.NDArray[np.int64]
    values: npt.NDArray[Any]
    nulls: npt.NDArray[np.bool_] | None

    @property
    def lengths(self) -> npt.NDArray[np.int64]:
        return np.diff(self.offsets)


def _list_layout(array: pa.Array) -> tuple[npt.NDArray[np.int64], pa.Array]:
    """Absolute offsets into the child array of any Arrow list type, honouring slices."""
    if pa.types.is_fixed_size_list(array.type):
        size = array.type.list_size
        starts = (array.offset + np.arange(len(array) + 1, dtype=np.int64)) * size
        return starts, array.values
    if pa.types.is_list(array.type) or pa.types.is_large_list(array.type):
        offsets = np.asarray(array.offsets.to_numpy(zero_copy_only=False), dtype=np.int64)
        return offsets, array.values
    raise ValueError(f"array column expected, got Arrow type {array.type}")


def array_cells(spec: FieldSpec, array: pa.Array) -> ArrayCells:
    """Numeric array cells (DALI geometry, or any numeric column with an arraysize)."""
    n = len(array)
    numpy_type = NUMPY_TYPES[spec.datatype]
    fill = 0 if spec.datatype in INTEGER_TYPES else float("nan")
    if pa.types.is_null(array.type):
        width = spec.count or 0
        offsets = np.arange(n + 1, dtype=np.int64) * width
        values = np.full(n * width, fill, dtype=numpy_type)
        return ArrayCells(offsets, values, np.ones(n, dtype=np.bool_))
    raw_offsets, child = _list_layout(array)
    nulls = null_mask(array)
    lengths = np.diff(raw_offsets)
    if nulls is not None:
        lengths = np.where(nulls, 0, lengths)
    if spec.count is not None:
        bad = lengths != spec.count
        if nulls is not None:
            bad &= ~nulls
        if bad.any():
            row = int(np.argmax(bad))
            raise ValueError(
                f"column {spec.name!r}: row {row} has {int(lengths[row])} values, "
                f"arraysize {spec.arraysize} requires {spec.count}"
            )
    elif spec.max_count is not None and (lengths > spec.max_count).any():
        raise ValueError(f"column {spec.name!r}: an array exceeds arraysize {spec.arraysize}")
    typed_child = as_datatype(spec, child)
    if typed_child.null_count:
        typed_child = pc.fill_null(typed_child, pa.scalar(fill, typed_child.type))
    child_values = np.asarray(typed_child.to_numpy(zero_copy_only=False), dtype=numpy_type)
    starts = raw_offsets[:-1]
    if spec.count is not None and nulls is not None:
        # Fixed arrays: null rows become ``count`` fill values.
        lengths = np.full(n, spec.count, dtype=np.int64)
        values = np.full(n * spec.count, fill, dtype=numpy_type)
        valid_rows = np.nonzero(~nulls)[0]
        gather = (starts[valid_rows][:, None] + np.arange(spec.count)).ravel()
        values.reshape(n, spec.count)[valid_rows] = child_values[gather].reshape(-1, spec.count)
    elif nulls is None or not np.any(np.diff(raw_offsets)[nulls]):
        values = child_values[raw_offsets[0] : raw_offsets[-1]]
    else:
        keep = np.repeat(~nulls, np.diff(raw_offsets))
        values = child_values[raw_offsets[0] : raw_offsets[-1]][keep]
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return ArrayCells(offsets, values, nulls)


# -- text -----------------------------------------------------------------------------------


def _fold_to_ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).encode("ascii", "replace").decode()


def _ascii_only(array: pa.Array) -> pa.Array:
    """``char`` is 7-bit ASCII in VOTable 1.4/1.5 §6: accents are folded, the rest becomes '?'."""
    ascii_flags = pc.fill_null(pc.string_is_ascii(array), True)
    if pc.all(ascii_flags).as_py():
        return array
    mask = pc.invert(ascii_flags)
    rows = np.nonzero(np.asarray(mask.to_numpy(zero_copy_only=False)))[0]
    folded = [_fold_to_ascii(str(v)) for v in array.take(pa.array(rows)).to_pylist()]
    return pc.replace_with_mask(array, mask, pa.array(folded, array.type))


def _bmp_only(array: pa.Array) -> pa.Array:
    """``unicodeChar`` is UCS-2 (VOTable 1.4 §6): characters beyond the BMP become U+FFFD."""
    if pc.all(pc.fill_null(pc.string_is_ascii(array), True)).as_py():
        return array
    return pc.replace_substring_regex(array, _ASTRAL, "\ufffd")


_TICKS_PER_SECOND = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}


def iso_timestamps(array: pa.Array) -> pa.Array:
    """Dates and times as DALI 1.1 §3.3.3 strings ``YYYY-MM-DD['T'hh:mm:ss[.SSS]]`` (UTC).

    Arrow timestamps (time-zone aware ones in UTC) and dates are formatted with just the
    sub-second digits each value needs; strings from the store are kept, with a space
    date/time separator turned into ``T`` and a zero UTC offset dropped.
    """
    kind = array.type
    if pa.types.is_date(kind):
        return pc.cast(array, pa.string())
    if pa.types.is_timestamp(kind):
        naive = array.cast(pa.timestamp(kind.unit)) if kind.tz is not None else array
        whole_seconds = kind.unit == "s" or not np.any(
            np.asarray(pc.cast(naive.drop_null(), pa.int64())) % _TICKS_PER_SECOND[kind.unit]
        )
        if whole_seconds:
            naive = naive.cast(pa.timestamp("s"))
        text = pc.replace_substring(pc.cast(naive, pa.string()), " ", "T", max_replacements=1)
        if whole_seconds:
            return text
        text = pc.replace_substring_regex(text, r"(\.\d*[1-9])0+$", r"\1")
        return pc.replace_substring_regex(text, r"\.0+$", "")
    strings = _plain_string(array)
    strings = pc.replace_substring_regex(strings, r"^(\d{4}-\d\d-\d\d) (\d)", r"\1T\2")
    return pc.replace_substring_regex(strings, r"(Z|[+-]00(:?00)?)$", "")


#: Character repertoire of a text output: VOTable (``char`` 7-bit ASCII, ``unicodeChar``
#: UCS-2, VOTable 1.4/1.5 §6), plain ASCII (FITS strings) or any Unicode (UTF-8 formats).
Repertoire = Literal["votable", "ascii", "unicode"]


def text_values(spec: FieldSpec, array: pa.Array, *, repertoire: Repertoire = "votable") -> pa.Array:
    """String cells cut to the declared arraysize and limited to ``repertoire``.

    Nulls stay null.  Non-ASCII characters are folded (accents dropped, else ``?``) where
    only ASCII is allowed; characters beyond the BMP become U+FFFD in ``unicodeChar``.
    """
    strings = iso_timestamps(array) if spec.is_timestamp else _plain_string(array)
    if repertoire == "ascii" or (repertoire == "votable" and spec.datatype == "char"):
        strings = _ascii_only(strings)
    elif repertoire == "votable":
        strings = _bmp_only(strings)
    limit = spec.count if spec.count is not None else spec.max_count
    if limit is not None:
        strings = pc.utf8_slice_codeunits(strings, 0, limit)
    return strings


def arrow_column(spec: FieldSpec, array: pa.Array, *, repertoire: Repertoire) -> pa.Array:
    """A column as plain Arrow data of its declared type, for columnar outputs.

    Numbers are cast to their datatype, arrays become ``list<type>`` (null rows empty),
    timestamps ISO strings, strings limited to ``repertoire`` (see :func:`text_values`).
    """
    if spec.is_text:
        strings = text_values(spec, array, repertoire=repertoire)
        return strings if pa.types.is_string(strings.type) else pc.cast(strings, pa.string())
    if spec.is_array:
        cells = array_cells(spec, array)
        mask = None if cells.nulls is None else pa.array(cells.nulls)
        offsets = pa.array(cells.offsets.astype(np.int32))
        return pa.ListArray.from_arrays(offsets, pa.array(cells.values), mask=mask)
    return as_datatype(spec, array)


def arrow_type(spec: FieldSpec) -> pa.DataType:
    """The Arrow type :func:`arrow_column` produces for ``spec``."""
    if spec.is_array:
        return pa.list_(ARROW_TYPES[spec.datatype])
    return ARROW_TYPES[spec.datatype]


# -- text rendering (TABLEDATA, CSV, TSV, PARAM values) --------------------------------------


def _number_text(array: pa.Array, is_float: bool) -> pa.Array:
    text = pc.cast(array, pa.string())
    if is_float and array.null_count < len(array):
        finite = pc.fill_null(pc.is_finite(array), True)
        if not pc.all(finite).as_py():
            text = pc.replace_substring(text, "nan", "NaN")
            text = pc.replace_substring_regex(text, r"^inf$", "+Inf")
            text = pc.replace_substring(text, "-inf", "-Inf")
    return text


def _byte_table(characters: bytes) -> npt.NDArray[np.bool_]:
    table = np.zeros(256, dtype=np.bool_)
    table[list(characters)] = True
    return table


#: Bytes whose presence sends a column through the slower regular-expression kernels:
#: control characters (and 0xEF, the lead byte of U+FFFE/U+FFFF), markup, separators.
_SUSPECT_XML = _byte_table(bytes([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xEF]))
_SUSPECT_MARKUP = _byte_table(b"&<>\r")
_SUSPECT_CSV = _byte_table(b',"\r\n')
_SUSPECT_TSV = _byte_table(b"\t\r\n")


def _contains_any(strings: pa.Array, table: npt.NDArray[np.bool_]) -> bool:
    """Whether any byte of the array's string data is flagged in ``table`` (one numpy pass)."""
    data = value_data(strings)
    if not len(data):
        return False
    return bool(table[np.frombuffer(data, dtype=np.uint8)].any())


def escape_text(strings: pa.Array, style: TextStyle) -> pa.Array:
    """Make strings safe for ``style``: XML escaping and illegal-character removal for
    TABLEDATA, RFC 4180 quoting for CSV, no separators for TSV."""
    if style in ("tabledata", "plain") and _contains_any(strings, _SUSPECT_XML):
        strings = pc.replace_substring_regex(strings, _XML_ILLEGAL, "")
    if style == "tabledata" and _contains_any(strings, _SUSPECT_MARKUP):
        strings = pc.replace_substring(strings, "&", "&amp;")
        strings = pc.replace_substring(strings, "<", "&lt;")
        strings = pc.replace_substring(strings, ">", "&gt;")
        strings = pc.replace_substring(strings, "\r", "&#13;")
    elif style == "tsv" and _contains_any(strings, _SUSPECT_TSV):
        strings = pc.replace_substring_regex(strings, _TSV_SEPARATORS, " ")
    elif style == "csv" and _contains_any(strings, _SUSPECT_CSV):
        quote = pc.fill_null(pc.match_substring_regex(strings, _CSV_NEEDS_QUOTES), False)
        if pc.any(quote).as_py():
            quoted = pc.binary_join_element_wise('"', pc.replace_substring(strings, '"', '""'), '"', "")
            strings = pc.if_else(quote, quoted, strings)
    return strings


def text_cells(spec: FieldSpec, array: pa.Array, style: TextStyle) -> pa.Array:
    """Every cell of a column as text, nulls as empty strings, escaped for ``style``.

    TABLEDATA follows VOTable 1.4 §5.1/§6 (``T``/``F`` booleans, ``NaN``/``+Inf``/``-Inf``,
    space-separated arrays, XML-escaped strings without the characters XML 1.0 forbids);
    CSV quotes per RFC 4180; TSV replaces tabs and line breaks, which it cannot carry.
    """
    if spec.is_text:
        repertoire: Repertoire = "votable" if style in ("tabledata", "plain") else "unicode"
        rendered = escape_text(text_values(spec, array, repertoire=repertoire), style)
    elif spec.datatype == "boolean":
        typed = as_datatype(spec, array)
        true_text, false_text = ("true", "false") if style in ("csv", "tsv") else ("T", "F")
        rendered = pc.if_else(typed, true_text, false_text)
    elif spec.is_array:
        cells = array_cells(spec, array)
        flat = _number_text(pa.array(cells.values), spec.datatype in ("float", "double"))
        lists = pa.ListArray.from_arrays(pa.array(cells.offsets.astype(np.int32)), flat)
        rendered = pc.binary_join(lists, " ")
        if cells.nulls is not None:
            rendered = pc.if_else(pa.array(cells.nulls), pa.scalar(None, pa.string()), rendered)
    else:
        typed = as_datatype(spec, array)
        rendered = _number_text(typed, spec.datatype in ("float", "double"))
    if not pa.types.is_string(rendered.type):
        rendered = pc.cast(rendered, pa.string())
    return pc.fill_null(rendered, "")


def param_text(spec: FieldSpec, value: Any) -> str:
    """A single value written as a PARAM ``value`` attribute (TABLEDATA rules)."""
    if value is None:
        return "NaN" if spec.datatype in ("float", "double") and not spec.is_array else ""
    if spec.is_array:
        array = pa.array([list(value)], pa.list_(ARROW_TYPES[spec.datatype]))
    elif spec.is_text and not spec.is_timestamp:
        array = pa.array([str(value)], pa.string())
    else:
        array = pa.array([value])
    return str(text_cells(spec, array, "plain")[0].as_py())


__all__ = [
    "ARROW_TYPES",
    "NUMPY_TYPES",
    "ArrayCells",
    "Repertoire",
    "TextStyle",
    "array_cells",
    "arrow_column",
    "arrow_type",
    "as_datatype",
    "boolean_bytes",
    "escape_text",
    "iso_timestamps",
    "null_mask",
    "param_text",
    "scalar_values",
    "text_cells",
    "text_values",
    "value_data",
    "value_offsets",
]
