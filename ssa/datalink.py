"""The DataLink 1.1 {links} response for light-curve publisher DIDs.

For each ID (DataLink 1.1 §3.2.1, several allowed, all links of one ID consecutive):

- ``#this``: the N2 FITS file, and the light curve as VOTable and CSV, each with
  content_qualifier ``#timeseries`` (product-type vocabulary, DataLink 1.1 §3.2.9), the
  ``dataproduct_type`` of the same products in SSA and ObsCore;
- ``#preview``: a PNG plot; ``#documentation``: the collection's landing page;
- ``#cutout``: the SODA {sync} service, through a per-product service descriptor;
- ``#auxiliary``: the same target's light curves of other runs (their {links});
- ``#progenitor``: the archive record of the run's N1 dataset, when it is visible.

Unknown, foreign or hidden IDs give one error row (``NotFoundFault: ...`` or
``UsageFault: ...``, DataLink 1.1 §3.4), never an HTTP error.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import numpy as np
import pyarrow as pa

from ssa.descriptors import DATALINK_MEDIA_TYPE, CutoutRanges, soda_descriptor
from ssa.dids import DidError, product_id_of
from ssa.service import LIGHTCURVES, SSAService
from ssa.timescales import tt_to_utc_mjd
from vo_service.access import PUBLIC_GROUP, Viewer
from vo_service.metadata import FieldMeta
from vo_service.store.base import Equals, Query, Store
from vo_service.votable.descriptors import DATALINK_STANDARD_ID
from vo_service.votable.envelope import Info
from vo_service.votable.writer import write_votable

LINK_COLUMNS: tuple[FieldMeta, ...] = (
    FieldMeta(name="ID", datatype="char", arraysize="*", ucd="meta.id;meta.main", description="Input identifier"),
    FieldMeta(name="access_url", datatype="char", arraysize="*", ucd="meta.ref.url",
               description="Link to data or service"),
    FieldMeta(name="service_def", datatype="char", arraysize="*", ucd="meta.ref",
               description="Reference to a service descriptor resource"),
    FieldMeta(name="error_message", datatype="char", arraysize="*", ucd="meta.code.error",
               description="Error if an access_url cannot be created"),
    FieldMeta(name="description", datatype="char", arraysize="*", ucd="meta.note",
               description="Human-readable text describing this link"),
    FieldMeta(name="semantics", datatype="char", arraysize="*", ucd="meta.code",
               description="Term from a controlled vocabulary describing the link"),
    FieldMeta(name="content_type", datatype="char", arraysize="*", ucd="meta.code.mime",
               description="Media type of the content the link returns"),
    FieldMeta(name="content_length", datatype="long", unit="byte", ucd="phys.size;meta.file",
               description="Size of the download the link returns"),
    FieldMeta(name="content_qualifier", datatype="char", arraysize="*",
               description="Product type of the content the link returns"),
    FieldMeta(name="local_semantics", datatype="char", arraysize="*", ucd="meta.id.assoc",
               description="Identifier of the corresponding links of other datasets"),
    FieldMeta(name="link_auth", datatype="char", arraysize="*", ucd="meta.code",
               description="Whether using the link requires authentication (false, optional, true)"),
    FieldMeta(name="link_authorized", datatype="boolean", ucd="meta.code",
               description="Whether the caller is authorized to use the link"),
)
LINK_NAMES = tuple(column.name for column in LINK_COLUMNS)
PRODUCT_COLUMNS = ("product_id", "corot_id", "run_code", "product_type", "ra", "dec", "t_min", "t_max",
                   "file_size", "access_group")
#: The N1 dataset type each N2 product type was derived from (CoRoT Legacy Book II.4).
N1_TYPES: Mapping[str, str] = {
    "EN2_STAR_CHR": "EN1_STAR_CHR",
    "EN2_STAR_MON": "EN1_STAR_MON",
    "AN2_STAR": "AN1_STAR",
}

#: content_qualifier of the '#this' links: the product-type vocabulary term of a light curve.
THIS_QUALIFIER = "#timeseries"


@dataclass
class LinkRows:
    """The links table under construction, one list per column."""

    columns: dict[str, list[Any]] = field(default_factory=lambda: {name: [] for name in LINK_NAMES})

    def add(self, identifier: str, semantics: str, *, access_url: str | None = None, service_def: str | None = None,
            error: str | None = None, description: str | None = None, content_type: str | None = None,
            length: int | None = None, qualifier: str | None = None, local: str | None = None,
            auth: str | None = None, authorized: bool | None = None) -> None:
        values = (identifier, access_url, service_def, error, description, semantics, content_type, length,
                  qualifier, local, auth, authorized)
        for name, value in zip(LINK_NAMES, values, strict=True):
            self.columns[name].append(value)

    def batch(self) -> pa.RecordBatch:
        types = [pa.string()] * 7 + [pa.int64(), pa.string(), pa.string(), pa.string(), pa.bool_()]
        arrays = [pa.array(self.columns[name], type_) for name, type_ in zip(LINK_NAMES, types, strict=True)]
        return pa.RecordBatch.from_arrays(arrays, names=list(LINK_NAMES))

    def __len__(self) -> int:
        return len(self.columns["ID"])


def _products(store: Store, viewer: Viewer, column: str, values: Sequence[Any]) -> list[dict[str, Any]]:
    if not values:
        return []
    query = Query(LIGHTCURVES, PRODUCT_COLUMNS, where=(Equals(column, tuple(values)),),
                  order_by=(("t_min", False),))
    return [row for batch in store.select(query, viewer) for row in batch.to_pylist()]


def _n1_datasets(store: Store, viewer: Viewer, rows: Sequence[dict[str, Any]]) -> set[str]:
    wanted = {n1_dataset_id(row) for row in rows} - {None}
    if not wanted:
        return set()
    query = Query("corot.datasets", ("dataset_id",), where=(Equals("dataset_id", tuple(sorted(map(str, wanted)))),))
    return {str(row["dataset_id"]) for batch in store.select(query, viewer) for row in batch.to_pylist()}


def n1_dataset_id(row: Mapping[str, Any]) -> str | None:
    n1_type = N1_TYPES.get(str(row["product_type"]))
    return f"DA_TC_COROT_N1_{row['run_code']}_{n1_type}" if n1_type else None


def _auth(row: Mapping[str, Any]) -> str:
    """DataLink 1.1 §3.2.11: public links work with or without credentials."""
    return "optional" if row.get("access_group") in (None, "", PUBLIC_GROUP) else "true"


def _tap_record_url(service: SSAService, dataset_id: str) -> str:
    query = f"SELECT * FROM corot.datasets WHERE dataset_id = '{dataset_id}'"
    return f"{service.settings.base_url}/tap/sync?" + urlencode({"REQUEST": "doQuery", "LANG": "ADQL", "QUERY": query})


def _product_links(links: LinkRows, service: SSAService, identifier: str, row: Mapping[str, Any], soda_id: str,
                   counterparts: Sequence[Mapping[str, Any]], progenitor: str | None) -> None:
    pid = str(row["product_id"])
    auth = _auth(row)
    urls = service.urls
    label = f"{service.names.name_of(int(row['corot_id']))} {row['run_code']} {row['product_type']}"
    links.add(identifier, "#this", access_url=f"{urls.products}/{pid}.fits", content_type="application/fits",
              length=int(row["file_size"]) if row.get("file_size") is not None else None,
              qualifier=THIS_QUALIFIER, local="n2-fits",
              description=f"{label}: the N2 light-curve file (FITS, N2-4.4 layout)", auth=auth, authorized=True)
    links.add(identifier, "#this", access_url=f"{urls.products}/{pid}.vot", content_type="application/x-votable+xml",
              qualifier=THIS_QUALIFIER, local="votable",
              description=f"{label}: the light curve as a VOTable time series (all bands, barycentric times)",
              auth=auth, authorized=True)
    links.add(identifier, "#this", access_url=f"{urls.products}/{pid}.csv", content_type="text/csv",
              qualifier=THIS_QUALIFIER, local="csv",
              description=f"{label}: the light curve as comma-separated values", auth=auth, authorized=True)
    links.add(identifier, "#preview", access_url=f"{urls.preview}/{pid}.png", content_type="image/png",
              local="preview", description=f"{label}: plot of the white-light curve", auth=auth, authorized=True)
    links.add(identifier, "#cutout", service_def=soda_id, local="soda",
              description="Cut the light curve to a time interval and choose its bands (SODA)",
              auth=auth, authorized=True)
    links.add(identifier, "#documentation", access_url=f"{service.settings.base_url}/", content_type="text/html",
              local="collection", description="The CoRoT archive: runs, products and their description",
              auth="optional", authorized=True)
    for other in counterparts:
        other_id = str(other["product_id"])
        links.add(identifier, "#auxiliary",
                  access_url=f"{urls.datalink}?ID={quote(service.did(other_id), safe='')}",
                  content_type=DATALINK_MEDIA_TYPE, local="other-run",
                  description=f"{other['product_type']} light curve of the same target in run {other['run_code']}",
                  auth=_auth(other), authorized=True)
    if progenitor is not None:
        links.add(identifier, "#progenitor", access_url=_tap_record_url(service, progenitor),
                  content_type="application/x-votable+xml", local="n1-dataset",
                  description=f"Archive record of the N1 dataset {progenitor} the light curve was made from "
                              "(N1 data are distributed by CNES on request)",
                  auth="optional", authorized=True)


def cutout_ranges(service: SSAService, row: Mapping[str, Any]) -> CutoutRanges:
    """The TIME (MJD UTC), BAND and COLOUR ranges of one light curve, for its SODA descriptor."""
    start, stop = tt_to_utc_mjd([float(row["t_min"]), float(row["t_max"])])
    bands = service.profile.bands_of(str(row["product_type"]))
    return CutoutRanges(float(np.floor(start * 1e5) / 1e5), float(np.ceil(stop * 1e5) / 1e5),
                        min(band.min for band in bands), max(band.max for band in bands),
                        tuple(band.name for band in bands))


def links_document(service: SSAService, store: Store, viewer: Viewer, identifiers: Sequence[str]) -> Iterator[bytes]:
    """The {links} VOTable (TABLEDATA, DataLink 1.1 §3.3.1) for ``identifiers``."""
    limit = service.profile.service.max_datalink_ids
    processed, overflow = list(identifiers[:limit]), len(identifiers) > limit
    wanted: dict[str, str | None] = {}
    errors: dict[str, str] = {}
    for identifier in processed:
        try:
            wanted[identifier] = product_id_of(identifier, service.settings.ivo_prefix)
        except DidError as exc:
            errors[identifier] = f"UsageFault: {exc}"
    found = {product["product_id"]: product for product in _products(store, viewer, "product_id",
                                                         sorted({p for p in wanted.values() if p}))}
    target_ids = sorted({int(product["corot_id"]) for product in found.values()})
    relatives: dict[int, list[dict[str, Any]]] = {}
    for relative in _products(store, viewer, "corot_id", target_ids):
        relatives.setdefault(int(relative["corot_id"]), []).append(relative)
    n1_visible = _n1_datasets(store, viewer, list(found.values()))

    links = LinkRows()
    descriptors: list[Any] = []
    for identifier in processed:
        product_id = wanted.get(identifier)
        row = found.get(product_id) if product_id else None
        if row is None:
            message = errors.get(identifier) or f"NotFoundFault: {identifier} is not a light curve of this archive"
            links.add(identifier, "#this", error=message)
            continue
        soda_id = f"soda-{len(descriptors) + 1}"
        descriptors.append(soda_descriptor(service.urls.soda, cutout_ranges(service, row),
                                           id_value=service.did(str(row["product_id"])), xml_id=soda_id).element())
        others = [r for r in relatives.get(int(row["corot_id"]), []) if r["product_id"] != row["product_id"]]
        n1 = n1_dataset_id(row)
        _product_links(links, service, identifier, row, soda_id, others, n1 if n1 in n1_visible else None)

    batches = [links.batch()]
    max_records = None
    if overflow:
        # DALI 1.1 §4.4.1: an overflow INFO follows the table when IDs were left out.  The
        # writer reports it when a row beyond max_records exists, so one more is offered.
        max_records = len(links)
        extra = LinkRows()
        extra.add(identifiers[limit], "#this", error="UsageFault: beyond the ID limit")
        batches.append(extra.batch())
    return write_votable(
        LINK_COLUMNS,
        batches,
        encoding="tabledata",
        max_records=max_records,
        resource_infos=(Info("standardID", DATALINK_STANDARD_ID),),
        extra_resources=tuple(descriptors),
        table_name="links",
    )


__all__ = ["LINK_COLUMNS", "LINK_NAMES", "LinkRows", "cutout_ranges", "links_document", "n1_dataset_id"]
