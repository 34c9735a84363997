"""Access to the archived N2 files: visibility, location and integrity.

Every download goes through :func:`open_verified`: the store decides whether the viewer may
see the product (restricted products are *not found* for others), the file must lie inside
the archive tree, and its SHA-256 must equal the checksum recorded at ingest.  The check
reads the open file and rewinds it, so the bytes served are the bytes verified.  A missing
or corrupt file is logged and reported as the service being unable to deliver the product
(HTTP 503), never as a 500.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ssa.dids import is_product_id
from vo_service.access import Viewer
from vo_service.faults import NotFoundFault, TransientFault
from vo_service.store.base import Store

log = logging.getLogger(__name__)
CHUNK_BYTES = 1 << 20


class IntegrityFault(TransientFault):
    """The archived file is missing or does not match its recorded checksum."""


@dataclass(frozen=True)
class Product:
    """A visible light-curve product: its lightcurves row and the path of its file."""

    row: dict[str, Any]
    path: Path

    @property
    def product_id(self) -> str:
        return str(self.row["product_id"])

    @property
    def checksum(self) -> str:
        return str(self.row.get("checksum") or "")


def find_product(store: Store, viewer: Viewer, products_dir: Path, product_id: str) -> Product:
    """The product if it exists and ``viewer`` may see it; :class:`NotFoundFault` otherwise
    (the same answer for both, so restricted products do not reveal themselves)."""
    row = store.product_file(product_id, viewer) if is_product_id(product_id) else None
    if row is None:
        raise NotFoundFault(f"No light curve {product_id!r} in this archive")
    root = products_dir.resolve()
    path = (root / str(row["file_path"])).resolve()
    if not path.is_relative_to(root):
        log.error("product %s points outside the archive tree: %s", product_id, row["file_path"])
        raise IntegrityFault(f"The file of {product_id} cannot be delivered; the archive operators have been notified")
    return Product(row, path)


def sha256_of(stream: IO[bytes]) -> str:
    digest = hashlib.sha256()
    for block in iter(lambda: stream.read(CHUNK_BYTES), b""):
        digest.update(block)
    return digest.hexdigest()


def open_verified(product: Product) -> IO[bytes]:
    """The product's file, open at its start, after its SHA-256 matched the recorded one."""
    try:
        stream = product.path.open("rb")
    except OSError as exc:
        log.error("file of product %s is unreadable: %s", product.product_id, exc)
        raise IntegrityFault(f"The file of {product.product_id} is missing from the archive; "
                             "the archive operators have been notified") from None
    try:
        actual = sha256_of(stream)
        if actual != product.checksum:
            log.error("checksum mismatch for product %s (%s): recorded %s, file %s",
                      product.product_id, product.path, product.checksum, actual)
            raise IntegrityFault(f"The file of {product.product_id} failed its integrity check (SHA-256 "
                                 "mismatch) and is withheld; the archive operators have been notified")
        stream.seek(0)
    except BaseException:
        stream.close()
        raise
    return stream


def verify(product: Product) -> None:
    """Check the product's file without keeping it open (before reading it otherwise)."""
    open_verified(product).close()


def file_chunks(stream: IO[bytes]) -> Iterator[bytes]:
    """Stream an open file in 1 MiB chunks, closing it at the end."""
    try:
        yield from iter(lambda: stream.read(CHUNK_BYTES), b"")
    finally:
        stream.close()


__all__ = ["IntegrityFault", "Product", "file_chunks", "find_product", "open_verified", "sha256_of", "verify"]
