"""BINARY/BINARY2 row bytes (VOTable 1.4 §5.3-5.4) and the streaming base64 encoder."""

from __future__ import annotations

import base64
import struct

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from vo_service.metadata import ColumnMeta
from vo_service.votable.binary import Base64Lines, BinaryRowEncoder
from vo_service.votable.fields import resolve_field


@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(max_size=300), max_size=12))
def test_base64_lines_equal_one_shot_encoding(chunks: list[bytes]) -> None:
    encoder = Base64Lines()
    streamed = b"".join(encoder.feed(chunk) for chunk in chunks) + encoder.finish()
    lines = streamed.split(b"\n")
    assert lines[-1] == b""
    assert all(len(line) <= 76 for line in lines)
    assert all(len(line) == 76 for line in lines[:-2])
    assert b"".join(lines) == base64.b64encode(b"".join(chunks))


def _encode(columns: list[ColumnMeta], arrays: list[pa.Array], *, null_flags: bool) -> bytes:
    encoder = BinaryRowEncoder([resolve_field(c) for c in columns], null_flags=null_flags)
    return bytes(encoder.encode(pa.record_batch(arrays, names=[c.name for c in columns])))


def test_binary2_row_layout_by_hand() -> None:
    columns = [
        ColumnMeta(name="i", datatype="short"),
        ColumnMeta(name="s", datatype="char", arraysize="*"),
        ColumnMeta(name="u", datatype="unicodeChar", arraysize="*"),
        ColumnMeta(name="p", datatype="double", xtype="point"),
        ColumnMeta(name="v", datatype="float", arraysize="*"),
        ColumnMeta(name="b", datatype="boolean"),
        ColumnMeta(name="c", datatype="char", arraysize="3"),
    ]
    arrays = [
        pa.array([5, None], pa.int16()),
        pa.array(["ab", None]),
        pa.array(["é", "xy"]),
        pa.array([[1.0, 2.0], None]),
        pa.array([[0.5], []], pa.list_(pa.float32())),
        pa.array([True, None]),
        pa.array(["z", "long"]),
    ]
    row1 = (
        bytes([0b00000000])
        + struct.pack(">h", 5)
        + struct.pack(">i", 2) + b"ab"
        + struct.pack(">i", 1) + "é".encode("utf-16-be")
        + struct.pack(">2d", 1.0, 2.0)
        + struct.pack(">i", 1) + struct.pack(">f", 0.5)
        + b"T"
        + b"z\x00\x00"
    )  # fmt: skip
    row2 = (
        bytes([0b11010100])
        + struct.pack(">h", 0)
        + struct.pack(">i", 0)
        + struct.pack(">i", 2) + "xy".encode("utf-16-be")
        + struct.pack(">2d", float("nan"), float("nan"))
        + struct.pack(">i", 0)
        + b"?"
        + b"lon"
    )  # fmt: skip
    assert _encode(columns, arrays, null_flags=True) == row1 + row2


def test_binary_uses_magic_nulls_and_no_flags() -> None:
    columns = [ColumnMeta(name="i", datatype="int"), ColumnMeta(name="d", datatype="double")]
    data = _encode(columns, [pa.array([None, 3], pa.int32()), pa.array([None, 1.5])], null_flags=False)
    assert data[:4] == struct.pack(">i", -(2**31))
    assert np.isnan(struct.unpack(">d", data[4:12])[0])
    assert data[12:] == struct.pack(">i", 3) + struct.pack(">d", 1.5)


def test_null_flag_bits_cover_many_columns() -> None:
    columns = [ColumnMeta(name=f"c{i}", datatype="unsignedByte") for i in range(17)]
    arrays = [pa.array([None if i in (0, 8, 16) else 1], pa.uint8()) for i in range(17)]
    data = _encode(columns, arrays, null_flags=True)
    assert data[:3] == bytes([0b10000000, 0b10000000, 0b10000000])
    assert len(data) == 3 + 17


def test_sliced_arrays_encode_their_own_rows() -> None:
    columns = [
        ColumnMeta(name="s", datatype="char", arraysize="*"),
        ColumnMeta(name="p", datatype="double", xtype="polygon"),
        ColumnMeta(name="q", datatype="double", xtype="point"),
    ]
    strings = pa.array(["skip", "keep", "me"])
    polygons = pa.array([[9.0] * 6, [1.0] * 6, [2.0] * 8])
    points = pa.array([[9.0, 9.0], [1.0, 2.0], [3.0, 4.0]], pa.list_(pa.float64(), 2))
    sliced = _encode(columns, [strings.slice(1), polygons.slice(1), points.slice(1)], null_flags=False)
    fresh = _encode(
        columns,
        [pa.array(["keep", "me"]), pa.array([[1.0] * 6, [2.0] * 8]), pa.array([[1.0, 2.0], [3.0, 4.0]])],
        null_flags=False,
    )
    assert sliced == fresh
