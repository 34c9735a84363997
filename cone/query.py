"""Running a cone search: the structured store query, the derived columns, the VOTable stream.

The search goes through :meth:`Store.select` with a :class:`~vo_service.store.base.Cone`
predicate, the HEALPix-indexed path of the store, asking for MAXREC+1 rows so that the
writer can mark an overflow (DALI 1.1 §4.4.1).  The product DID is computed from the stored
observation identifier with an Arrow kernel, one batch at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from cone.params import ConeRequest
from cone.profile import ColumnSet, ConeProfile, Endpoint
from vo_service.access import Viewer
from vo_service.store.base import Cone, Equals, Predicate, Query, Store
from vo_service.vo_models_ext import CONESEARCH_STANDARD_ID
from vo_service.votable.envelope import Info
from vo_service.votable.fields import CooSys, Encoding
from vo_service.votable.writer import VOTableTemplate, prepare_votable


@dataclass(frozen=True)
class DidTemplate:
    """``<prefix><product id><suffix>``: the publisher DID of a product, split for kernels."""

    prefix: str
    suffix: str

    @classmethod
    def from_template(cls, template: str, ivo_prefix: str) -> DidTemplate:
        filled = template.replace("{ivo_prefix}", ivo_prefix)
        prefix, marker, suffix = filled.partition("{product_id}")
        if not marker:
            raise ValueError(f"DID template {template!r} has no {{product_id}}")
        return cls(prefix, suffix)


def product_dids(obs_ids: pa.Array, template: DidTemplate) -> pa.Array:
    """Publisher DIDs of the observations' N2 products: ``<prefix><obs_id><suffix>``
    (null where the observation has no identifier)."""
    return pc.binary_join_element_wise(template.prefix, pc.cast(obs_ids, pa.string()), template.suffix, "")


def output_batches(
    batches: Iterable[pa.RecordBatch], columns: ColumnSet, profile: ConeProfile, did: DidTemplate
) -> Iterator[pa.RecordBatch]:
    """Stored batches → response batches in the order of ``columns``."""
    names = [column.meta.name for column in columns.columns]
    for batch in batches:
        arrays: list[pa.Array] = []
        for column in columns.columns:
            if column.derived == "product_did":
                arrays.append(product_dids(batch.column(profile.product_did.source), did))
            else:
                arrays.append(batch.column(str(column.source)))
        yield pa.RecordBatch.from_arrays(arrays, names=names)


def cone_query(endpoint: Endpoint, request: ConeRequest) -> Query:
    """The structured query of a cone search: cone, endpoint subset, MAXREC+1 rows."""
    where: list[Predicate] = [Cone(request.ra, request.dec, request.sr)]
    for column, values in endpoint.spec.where.items():
        where.append(Equals(column, tuple(values)))
    columns = endpoint.column_sets[request.verb]
    return Query(endpoint.table.name, columns.stored, where=tuple(where), limit=request.maxrec + 1)


def cone_template(endpoint: Endpoint, verb: int, encoding: Encoding, descriptor: Any) -> VOTableTemplate:
    """The prepared response document of an endpoint for one VERB and serialisation."""
    spec = endpoint.spec
    return prepare_votable(
        endpoint.column_sets[verb].metas,
        encoding=encoding,
        coosys=CooSys(),
        resource_infos=(Info("standardID", CONESEARCH_STANDARD_ID),),
        extra_resources=(descriptor,),
        table_name=spec.name,
        description=spec.title,
    )


def cone_document(
    store: Store,
    viewer: Viewer,
    endpoint: Endpoint,
    request: ConeRequest,
    profile: ConeProfile,
    did: DidTemplate,
    template: VOTableTemplate,
    *,
    batch_rows: int = 20_000,
    timeout: float | None = None,
) -> Iterator[bytes]:
    """The response VOTable of a cone search, as a stream of byte chunks.

    SR=0 returns the FIELDs without rows and without touching the store (SCS 1.03 erratum);
    MAXREC=0 returns them with the DALI overflow status.  Store errors raised while the
    first rows are fetched propagate from the first ``next()``, before any byte is sent.
    """
    columns = endpoint.column_sets[request.verb]
    batches: Iterable[pa.RecordBatch] = ()
    max_records: int | None = request.maxrec
    if request.metadata_only:
        max_records = None
    elif request.maxrec > 0:
        query = cone_query(endpoint, request)
        batches = output_batches(store.select(query, viewer, batch_size=batch_rows, timeout=timeout),
                                 columns, profile, did)
    return template.stream(batches, max_records=max_records)


__all__ = [
    "DidTemplate",
    "cone_document",
    "cone_query",
    "cone_template",
    "output_batches",
    "product_dids",
]
