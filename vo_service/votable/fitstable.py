"""``application/fits`` results: a FITS binary table written in two passes over a spool file.

A FITS header needs the row count, the string widths and the heap size before the first row
(FITS 4.0 §7.3), which a stream does not know.  The rows are therefore spooled to an Arrow
IPC file on disk first (constant memory) while those sizes are measured; the FITS file is
then generated from the spool batch by batch.  Column layout (FITS 4.0 §7.3.3):

- integers ``B``/``I``/``J``/``K`` with ``TNULLn``; floats ``E``/``D`` with NaN for null;
- booleans ``L`` (``T``, ``F``, 0 for null);
- strings and timestamps ``rA`` of the widest value, ASCII, NUL-padded;
- fixed arrays (points, circles) ``rD``; variable arrays (polygons) ``PD(max)`` in the heap.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from astropy.io import fits

from vo_service.votable.cells import (
    NUMPY_TYPES,
    array_cells,
    arrow_column,
    arrow_type,
    boolean_bytes,
    scalar_values,
    value_data,
)
from vo_service.votable.fields import INTEGER_NULLS, FieldSpec

FITS_BLOCK = 2880
_TFORM_CODES = {
    "boolean": "L",
    "unsignedByte": "B",
    "short": "I",
    "int": "J",
    "long": "K",
    "float": "E",
    "double": "D",
}
_CARD_TEXT = 68


@dataclass
class _Measures:
    """What the header needs from the data: rows, string widths, array lengths, heap."""

    rows: int
    widths: list[int]
    heap_bytes: int


def _ascii_card(text: str) -> str:
    """Header values are printable ASCII (FITS 4.0 §4.2.1), short enough for one card."""
    cleaned = "".join(c if " " <= c <= "~" else "?" for c in text)
    return cleaned[:_CARD_TEXT]


def _tform(spec: FieldSpec, width: int) -> str:
    if spec.is_text:
        return f"{max(width, 1)}A"
    code = _TFORM_CODES[spec.datatype]
    if spec.is_array:
        return f"{spec.count}{code}" if spec.count is not None else f"P{code}({width})"
    return code


def _header(specs: Sequence[FieldSpec], measures: _Measures, row_bytes: int, extname: str | None) -> Any:
    header = fits.Header()
    header["XTENSION"] = ("BINTABLE", "binary table extension")
    header["BITPIX"] = 8
    header["NAXIS"] = 2
    header["NAXIS1"] = (row_bytes, "bytes per row")
    header["NAXIS2"] = (measures.rows, "number of rows")
    header["PCOUNT"] = (measures.heap_bytes, "heap size")
    header["GCOUNT"] = 1
    header["TFIELDS"] = len(specs)
    for number, (spec, width) in enumerate(zip(specs, measures.widths, strict=True), start=1):
        header[f"TTYPE{number}"] = _ascii_card(spec.name)
        header[f"TFORM{number}"] = _tform(spec, width)
        if spec.unit:
            header[f"TUNIT{number}"] = _ascii_card(spec.unit)
        if spec.datatype in INTEGER_NULLS:
            header[f"TNULL{number}"] = INTEGER_NULLS[spec.datatype]
        if spec.ucd:
            header[f"TUCD{number}"] = _ascii_card(spec.ucd)
        if spec.description:
            header[f"TCOMM{number}"] = _ascii_card(spec.description)
    if extname:
        header["EXTNAME"] = _ascii_card(extname)
    return header


def _primary_header() -> bytes:
    header = fits.Header()
    header["SIMPLE"] = True
    header["BITPIX"] = 8
    header["NAXIS"] = 0
    header["EXTEND"] = True
    return bytes(header.tostring().encode("ascii"))


def _row_dtype(specs: Sequence[FieldSpec], widths: Sequence[int]) -> np.dtype[Any]:
    parts: list[tuple[str, Any]] = []
    for index, (spec, width) in enumerate(zip(specs, widths, strict=True)):
        name = f"c{index}"
        if spec.is_text:
            parts.append((name, f"S{max(width, 1)}"))
        elif spec.datatype == "boolean":
            parts.append((name, "u1"))
        elif spec.is_array and spec.count is None:
            parts.append((name, (">i4", (2,))))
        elif spec.is_array:
            parts.append((name, (NUMPY_TYPES[spec.datatype].newbyteorder(">"), (spec.count,))))
        else:
            parts.append((name, NUMPY_TYPES[spec.datatype].newbyteorder(">")))
    return np.dtype(parts)


def _fixed_strings(strings: pa.Array, width: int) -> npt.NDArray[Any]:
    padded = pc.utf8_rpad(pc.fill_null(strings, ""), width, padding="\x00")
    return np.frombuffer(value_data(padded), dtype=f"S{width}", count=len(strings))


class _FitsRows:
    """Encode spooled batches into FITS rows and heap bytes."""

    def __init__(self, specs: Sequence[FieldSpec], widths: Sequence[int]) -> None:
        self.specs = tuple(specs)
        self.widths = tuple(max(w, 1) for w in widths)
        self.dtype = _row_dtype(specs, widths)
        self.heap_offset = 0

    def rows(self, batch: pa.RecordBatch) -> bytes:
        record = np.zeros(batch.num_rows, dtype=self.dtype)
        for index, spec in enumerate(self.specs):
            name, column = f"c{index}", batch.column(index)
            if spec.is_text:
                record[name] = _fixed_strings(column, self.widths[index])
            elif spec.datatype == "boolean":
                values, nulls = boolean_bytes(column)
                if nulls is not None:
                    values = np.where(nulls, 0, values)
                record[name] = values
            elif spec.is_array:
                cells = array_cells(spec, column)
                if spec.count is None:
                    itemsize = NUMPY_TYPES[spec.datatype].itemsize
                    record[name][:, 0] = cells.lengths
                    record[name][:, 1] = self.heap_offset + cells.offsets[:-1] * itemsize
                    self.heap_offset += int(cells.offsets[-1]) * itemsize
                else:
                    record[name] = cells.values.reshape(batch.num_rows, spec.count)
            else:
                values, nulls = scalar_values(spec, column)
                if nulls is not None and spec.datatype in INTEGER_NULLS:
                    values = np.where(nulls, INTEGER_NULLS[spec.datatype], values)
                record[name] = values
        return record.tobytes()

    def heap(self, batch: pa.RecordBatch) -> bytes:
        """Heap bytes of a batch: each variable column's values in turn, matching the
        descriptors :meth:`rows` wrote for the same batch (FITS 4.0 §7.3.5)."""
        chunks = []
        for index, spec in enumerate(self.specs):
            if spec.is_array and spec.count is None:
                cells = array_cells(spec, batch.column(index))
                chunks.append(cells.values.astype(NUMPY_TYPES[spec.datatype].newbyteorder(">")).tobytes())
        return b"".join(chunks)


def _spool(specs: Sequence[FieldSpec], batches: Iterable[pa.RecordBatch], spool: IO[bytes]) -> _Measures:
    """Pass 1: write normalised batches to an Arrow IPC file and measure them."""
    schema = pa.schema([pa.field(f"c{i}", arrow_type(s)) for i, s in enumerate(specs)])
    measures = _Measures(rows=0, widths=[0] * len(specs), heap_bytes=0)
    with pa.ipc.new_file(spool, schema) as writer:
        for batch in batches:
            columns = [arrow_column(spec, batch.column(i), repertoire="ascii") for i, spec in enumerate(specs)]
            for index, (spec, column) in enumerate(zip(specs, columns, strict=True)):
                if spec.is_text:
                    longest = pc.max(pc.binary_length(column)).as_py()
                    measures.widths[index] = max(measures.widths[index], longest or 0)
                elif spec.is_array and spec.count is None:
                    lengths = pc.list_value_length(column)
                    measures.widths[index] = max(measures.widths[index], pc.max(lengths).as_py() or 0)
                    total = pc.sum(lengths).as_py() or 0
                    measures.heap_bytes += total * NUMPY_TYPES[spec.datatype].itemsize
            measures.rows += batch.num_rows
            writer.write_batch(pa.record_batch(columns, schema=schema))
    return measures


def _padding(size: int, fill: bytes = b"\x00") -> bytes:
    return fill * (-size % FITS_BLOCK)


def fits_table(
    specs: Sequence[FieldSpec], batches: Iterable[pa.RecordBatch], *, extname: str | None = None
) -> Iterator[bytes]:
    """Spool ``batches`` then stream a FITS file (empty primary HDU + BINTABLE)."""
    with tempfile.TemporaryFile(prefix="fits-spool-") as spool:
        measures = _spool(specs, batches, spool)
        if measures.heap_bytes >= 2**31:
            raise ValueError("variable-length arrays exceed the 2 GiB FITS heap of 'P' descriptors")
        encoder = _FitsRows(specs, measures.widths)
        header = _header(specs, measures, encoder.dtype.itemsize, extname)
        spool.seek(0)
        reader = pa.ipc.open_file(spool)
        yield _primary_header() + header.tostring().encode("ascii")
        written = 0
        for index in range(reader.num_record_batches):
            block = encoder.rows(reader.get_batch(index))
            written += len(block)
            yield block
        if measures.heap_bytes:
            for index in range(reader.num_record_batches):
                block = encoder.heap(reader.get_batch(index))
                written += len(block)
                yield block
        yield _padding(written)


__all__ = ["FITS_BLOCK", "fits_table"]
