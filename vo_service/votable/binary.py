"""BINARY and BINARY2 row encoding, one record batch at a time, plus streaming base64.

VOTable 1.4 §5.3/§5.4: a row is the concatenation of its cells, big-endian, with a 4-byte
element count before every variable-length cell; BINARY2 prefixes each row with one null
flag bit per column (most significant bit first).  Fixed-width cells of consecutive columns
are packed with a numpy structured array; variable-width cells are Arrow binary arrays; the
pieces are interleaved row by row with Arrow's ``binary_join_element_wise`` kernel, so no
Python code runs per cell.
"""

from __future__ import annotations

import binascii
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from vo_service.votable.cells import (
    NUMPY_TYPES,
    array_cells,
    boolean_bytes,
    null_mask,
    scalar_values,
    text_values,
    value_data,
    value_offsets,
)
from vo_service.votable.fields import INTEGER_NULLS, FieldSpec

_EMPTY = pa.scalar(b"", pa.binary())
_MAX_PIECE_BYTES = 2**31 - 1


@dataclass
class _Fixed:
    """One fixed-width cell (or null-flag block) per row: numpy dtype plus values."""

    dtype: Any
    values: npt.NDArray[Any]


def _binary_from_bytes(data: bytes | memoryview, offsets: npt.NDArray[np.int64]) -> pa.Array:
    """An Arrow binary array over ``data`` split at ``offsets`` (zero copy)."""
    if offsets[-1] > _MAX_PIECE_BYTES:
        raise ValueError("a record batch is too large to encode at once; use smaller batches")
    return pa.Array.from_buffers(
        pa.binary(),
        len(offsets) - 1,
        [None, pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(data)],
    )


def _strings_as_binary(strings: pa.Array) -> pa.Array:
    filled = pc.fill_null(strings, "")
    if pa.types.is_large_string(filled.type):
        filled = pc.cast(filled, pa.string())
    return pc.cast(filled, pa.binary())


def _utf8_data(strings: pa.Array) -> tuple[str, npt.NDArray[np.int64]]:
    """All strings of an array decoded as one Python str, plus their lengths in characters."""
    data = bytes(value_data(_strings_as_binary(strings)))
    lengths = np.asarray(pc.fill_null(pc.utf8_length(pc.fill_null(strings, "")), 0), dtype=np.int64)
    return data.decode("utf-8"), lengths


def _plain_ascii_cells(
    spec: FieldSpec, array: pa.Array
) -> tuple[npt.NDArray[np.int64], pa.Array, npt.NDArray[np.bool_] | None] | None:
    """Lengths, bytes and nulls of a variable-length ``char`` column that needs no rewriting.

    The common case (ASCII text within the declared arraysize, empty null slots) is taken
    straight from the Arrow buffers with a few numpy calls; anything else returns None and
    goes through :func:`text_values`, which folds, cuts and fills.
    """
    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        return None
    offsets = value_offsets(array)
    lengths = np.diff(offsets)
    nulls = null_mask(array)
    if nulls is not None and np.any(lengths[nulls]):
        return None
    data = value_data(array)
    raw = np.frombuffer(data, dtype=np.uint8)
    if raw.size and int(raw.max()) >= 0x80:
        return None
    if spec.max_count is not None and lengths.size and int(lengths.max()) > spec.max_count:
        return None
    return lengths, _binary_from_bytes(data, offsets - offsets[0]), nulls


@functools.lru_cache(maxsize=256)
def _record_dtype(parts: tuple[Any, ...]) -> np.dtype[Any]:
    """The packed record of consecutive fixed-width cells (built once per column layout)."""
    return np.dtype([(f"f{i}", part) for i, part in enumerate(parts)])


def _offsets_from_lengths(lengths: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return offsets


class BinaryRowEncoder:
    """Encode record batches into BINARY or BINARY2 row bytes (VOTable 1.4 §5.3, §5.4)."""

    def __init__(self, specs: Sequence[FieldSpec], *, null_flags: bool) -> None:
        self.specs = tuple(specs)
        self.null_flags = null_flags
        self.flag_bytes = (len(self.specs) + 7) // 8

    def encode(self, batch: pa.RecordBatch) -> pa.Buffer | bytes:
        """The bytes of all rows of ``batch`` in order."""
        n = batch.num_rows
        if n == 0:
            return b""
        flags = np.zeros((n, len(self.specs)), dtype=np.bool_) if self.null_flags else None
        pieces: list[_Fixed | pa.Array] = []
        for index, spec in enumerate(self.specs):
            nulls = self._column(spec, batch.column(index), pieces)
            if flags is not None and nulls is not None:
                flags[:, index] = nulls
        if flags is not None:
            packed = np.packbits(flags, axis=1, bitorder="big")
            pieces.insert(0, _Fixed(np.dtype((np.uint8, (self.flag_bytes,))), packed))
        return self._interleave(n, pieces)

    # -- one column -----------------------------------------------------------------------
    def _column(
        self, spec: FieldSpec, array: pa.Array, pieces: list[_Fixed | pa.Array]
    ) -> npt.NDArray[np.bool_] | None:
        """Append the column's pieces; return its null mask."""
        if spec.is_text:
            return self._text(spec, array, pieces)
        if spec.datatype == "boolean":
            values, nulls = boolean_bytes(array)
            pieces.append(_Fixed(np.dtype(np.uint8), values))
            return nulls
        big_endian = NUMPY_TYPES[spec.datatype].newbyteorder(">")
        if spec.is_array:
            cells = array_cells(spec, array)
            if spec.count is not None:
                shaped = cells.values.reshape(len(array), spec.count)
                pieces.append(_Fixed(np.dtype((big_endian, (spec.count,))), shaped))
            else:
                pieces.append(_Fixed(np.dtype(">i4"), cells.lengths))
                data = cells.values.astype(big_endian, copy=False).tobytes()
                pieces.append(_binary_from_bytes(data, cells.offsets * big_endian.itemsize))
            return cells.nulls
        values, nulls = scalar_values(spec, array)
        if nulls is not None and not self.null_flags and spec.datatype in INTEGER_NULLS:
            values = values.copy()
            values[nulls] = INTEGER_NULLS[spec.datatype]
        pieces.append(_Fixed(big_endian, values))
        return nulls

    def _text(self, spec: FieldSpec, array: pa.Array, pieces: list[_Fixed | pa.Array]) -> npt.NDArray[np.bool_] | None:
        """char as ASCII bytes, unicodeChar as UCS-2 big-endian (VOTable 1.4 §6)."""
        if spec.datatype == "char" and spec.count is None and not spec.is_timestamp:
            plain = _plain_ascii_cells(spec, array)
            if plain is not None:
                lengths, values, nulls = plain
                pieces.append(_Fixed(np.dtype(">i4"), lengths))
                pieces.append(values)
                return nulls
        strings = text_values(spec, array)
        nulls = None
        if strings.null_count:
            nulls = np.asarray(strings.is_null().to_numpy(zero_copy_only=False), dtype=np.bool_)
        if spec.count is not None:
            # Fixed-size strings are padded with NULs (FITS convention, VOTable 1.4 §6).
            strings = pc.utf8_rpad(pc.fill_null(strings, ""), spec.count, padding="\x00")
        if spec.datatype == "char":
            binary = _strings_as_binary(strings)
            if spec.count is None:
                pieces.append(_Fixed(np.dtype(">i4"), np.asarray(pc.binary_length(binary), dtype=np.int64)))
            pieces.append(binary)
            return nulls
        text, lengths = _utf8_data(strings)
        if spec.count is None:
            pieces.append(_Fixed(np.dtype(">i4"), lengths))
        pieces.append(_binary_from_bytes(text.encode("utf-16-be"), _offsets_from_lengths(lengths * 2)))
        return nulls

    # -- rows -----------------------------------------------------------------------------
    @staticmethod
    def _pack(n: int, run: list[_Fixed]) -> npt.NDArray[Any]:
        dtype = _record_dtype(tuple(part.dtype for part in run))
        record = np.empty(n, dtype=dtype)
        for name, part in zip(dtype.names or (), run, strict=True):
            record[name] = part.values
        return record

    def _interleave(self, n: int, pieces: list[_Fixed | pa.Array]) -> pa.Buffer | bytes:
        arrays: list[pa.Array] = []
        run: list[_Fixed] = []
        for piece in [*pieces, None]:
            if isinstance(piece, _Fixed):
                run.append(piece)
                continue
            if run:
                record = self._pack(n, run)
                if piece is None and not arrays:
                    return record.tobytes()
                width = record.dtype.itemsize
                arrays.append(_binary_from_bytes(record.data, np.arange(n + 1, dtype=np.int64) * width))
                run = []
            if piece is not None:
                arrays.append(piece)
        joined = arrays[0] if len(arrays) == 1 else pc.binary_join_element_wise(*arrays, _EMPTY)
        return value_data(joined)


class Base64Lines:
    """Streaming base64 (RFC 2045) with 76-character lines, fed chunk by chunk.

    Only whole 57-byte groups are encoded at each step; the rest waits for the next chunk,
    so concatenating the outputs equals encoding the whole stream at once.
    """

    LINE_BYTES = 57
    LINE_CHARS = 76

    def __init__(self) -> None:
        self._pending = b""

    def feed(self, data: pa.Buffer | bytes | memoryview) -> bytes:
        view = memoryview(data).cast("B")
        if not view.nbytes:
            return b""
        joined = self._pending + view.tobytes() if self._pending else view
        whole = len(joined) // self.LINE_BYTES * self.LINE_BYTES
        self._pending = bytes(joined[whole:])
        if not whole:
            return b""
        encoded = np.frombuffer(binascii.b2a_base64(joined[:whole], newline=False), dtype=np.uint8)
        lines = np.empty((whole // self.LINE_BYTES, self.LINE_CHARS + 1), dtype=np.uint8)
        lines[:, : self.LINE_CHARS] = encoded.reshape(-1, self.LINE_CHARS)
        lines[:, self.LINE_CHARS] = ord("\n")
        return lines.tobytes()

    def finish(self) -> bytes:
        """The last, possibly short and padded, line."""
        pending, self._pending = self._pending, b""
        return binascii.b2a_base64(pending) if pending else b""


__all__ = ["Base64Lines", "BinaryRowEncoder"]
