"""The derived columns of a cone answer: product DIDs from archive paths."""

from __future__ import annotations

import pyarrow as pa

from cone.query import DidTemplate, product_dids


def test_product_dids_take_the_file_stem() -> None:
    template = DidTemplate.from_template("{ivo_prefix}/corot?{product_id}", "ivo://corot.vo")
    names = pa.array([
        "N2-4.4/2007/05/16/EN2_STAR_MON_0101481290_20070516T060050_20071015T062338.fits",
        "AN2_STAR_0000001615_20100305T001525_20100315T000000.fits",
        "N2-3.1/2008/a.b/odd.name",
        None,
        "",
        "N2-4.4/2007/05/16/.fits",
        "dir/",
    ])
    assert product_dids(names, template).to_pylist() == [
        "ivo://corot.vo/corot?EN2_STAR_MON_0101481290_20070516T060050_20071015T062338",
        "ivo://corot.vo/corot?AN2_STAR_0000001615_20100305T001525_20100315T000000",
        "ivo://corot.vo/corot?odd.name",
        None,
        None,
        None,
        None,
    ]
