"""Publisher dataset identifiers of the light curves: ``ivo://<authority>/corot?<product id>``.

IVOA Identifiers 2.0 §3.1: the authority is case-insensitive, the query part (after ``?``)
names the dataset inside the publisher's collection.  A product id is an N2 file name
without extension (CoRoT data spec §2.1), so it never needs escaping.
"""

from __future__ import annotations

import re
from typing import Final

PRODUCT_ID_RE: Final = re.compile(
    r"^(EN2_STAR_CHR|EN2_STAR_MON|EN2_STAR_IMAG|AN2_STAR)_\d{10}_\d{8}T\d{6}_\d{8}T\d{6}$"
)
COLLECTION_PATH: Final = "corot"


class DidError(ValueError):
    """An identifier that is not a publisher DID of this service."""


def is_product_id(text: str) -> bool:
    return PRODUCT_ID_RE.match(text) is not None


def collection_did(ivo_prefix: str) -> str:
    return f"{ivo_prefix}/{COLLECTION_PATH}"


def publisher_did(ivo_prefix: str, product_id: str) -> str:
    """The publisher DID of a product."""
    return f"{collection_did(ivo_prefix)}?{product_id}"


def product_id_of(did: str, ivo_prefix: str) -> str:
    """The product id a publisher DID names; :class:`DidError` if it is not one of ours."""
    text = did.strip()
    if text[: len("ivo://")].lower() != "ivo://":
        raise DidError(f"{did!r} is not an IVOA identifier (it must start with ivo://)")
    authority, _, tail = text[len("ivo://"):].partition("/")
    if authority.lower() != ivo_prefix[len("ivo://"):].lower():
        raise DidError(f"{did!r} is not an identifier of this publisher ({ivo_prefix})")
    path, separator, product_id = tail.partition("?")
    if path != COLLECTION_PATH or not separator:
        raise DidError(f"{did!r} does not name a product of the collection {collection_did(ivo_prefix)}")
    if not is_product_id(product_id):
        raise DidError(f"{product_id!r} is not a valid N2 product id")
    return product_id


__all__ = ["PRODUCT_ID_RE", "DidError", "collection_did", "is_product_id", "product_id_of", "publisher_did"]
