"""The derived column of a cone answer: product DIDs from observation identifiers."""

from __future__ import annotations

import pyarrow as pa

from cone.query import DidTemplate, product_dids


def test_product_dids_name_the_observation() -> None:
    template = DidTemplate.from_template("{ivo_prefix}/corot?{product_id}", "ivo://corot.vo")
    ids = pa.array(["EN2_STAR_MON_0101481290_20070516T060050_20071015T062338",
                    "AN2_STAR_0000001615_20100305T001525_20100315T000000", None])
    assert product_dids(ids, template).to_pylist() == [
        "ivo://corot.vo/corot?EN2_STAR_MON_0101481290_20070516T060050_20071015T062338",
        "ivo://corot.vo/corot?AN2_STAR_0000001615_20100305T001525_20100315T000000",
        None,
    ]
