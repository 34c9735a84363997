"""Text row encoders: VOTable TABLEDATA rows, CSV (RFC 4180) and TSV lines.

Each column of a record batch is rendered to an Arrow string array in one go
(:func:`vo_service.votable.cells.text_cells`); the rows are then assembled by Arrow's
``binary_join_element_wise`` kernel, so no Python code runs per cell.  The markup of a row
(``<TR><TD>…</TD></TR>``) is fixed and only ever surrounds escaped cell text.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa
import pyarrow.compute as pc

from vo_service.votable.cells import TextStyle, text_cells, value_data
from vo_service.votable.fields import FieldSpec


def _joined_bytes(pieces: list[pa.Array | str], n: int) -> pa.Buffer | bytes:
    if n == 0:
        return b""
    return value_data(pc.binary_join_element_wise(*pieces, ""))


def tabledata_rows(specs: Sequence[FieldSpec], batch: pa.RecordBatch) -> pa.Buffer | bytes:
    """``<TR><TD>…</TD>…</TR>`` lines for every row (VOTable 1.4 §5.1); nulls are empty TDs."""
    pieces: list[pa.Array | str] = ["<TR>"]
    for index, spec in enumerate(specs):
        pieces += ["<TD>", text_cells(spec, batch.column(index), "tabledata"), "</TD>"]
    pieces.append("</TR>\n")
    return _joined_bytes(_merge_literals(pieces), batch.num_rows)


def delimited_rows(
    specs: Sequence[FieldSpec], batch: pa.RecordBatch, *, style: TextStyle, line_end: str
) -> pa.Buffer | bytes:
    """CSV or TSV data lines: cells joined by ``,`` or TAB, nulls empty."""
    separator = "\t" if style == "tsv" else ","
    pieces: list[pa.Array | str] = []
    for index, spec in enumerate(specs):
        if index:
            pieces.append(separator)
        pieces.append(text_cells(spec, batch.column(index), style))
    pieces.append(line_end)
    return _joined_bytes(_merge_literals(pieces), batch.num_rows)


def _merge_literals(pieces: list[pa.Array | str]) -> list[pa.Array | str]:
    """Fuse adjacent literal strings so the join kernel sees fewer arguments."""
    merged: list[pa.Array | str] = []
    for piece in pieces:
        if isinstance(piece, str) and merged and isinstance(merged[-1], str):
            merged[-1] += piece
        else:
            merged.append(piece)
    return merged


__all__ = ["delimited_rows", "tabledata_rows"]
