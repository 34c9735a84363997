"""The queryData response (SSA 1.1 §4.2) and the FORMAT=METADATA response (SSA 1.1 §6).

The light curves are read with :meth:`Store.select`, which applies the access policy:
restricted products are never listed to viewers outside their group.  Constants of the
response are PARAMs of the table; each row's coverage columns refer to the COOSYS and to a
TIMESYS (MJD, TT, at the satellite); DataLink and SODA service descriptors follow the
results so that clients can reach the files, previews and cutouts of each row.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence

import pyarrow as pa

from ssa.params import SSAPlan
from ssa.profile import InputSpec, SSAProfile
from ssa.rows import RowContext, response_batches
from ssa.service import LIGHTCURVES, SSAService
from ssa.votparams import DescribedParam
from vo_service.access import Viewer
from vo_service.store.base import Query, Store
from vo_service.votable.envelope import Info, Param
from vo_service.votable.fields import CooSys, TimeSys
from vo_service.votable.writer import write_votable

SSA_STANDARD_ID = "ivo://ivoa.net/std/SSA"
SSA_VERSION = "1.1"
#: The TIMESYS of the coverage columns: MJD in TT, dated at the satellite.
COVERAGE_TIMESYS = TimeSys(timescale="TT", refposition="TOPOCENTER", timeorigin="MJD-origin", id="timesys")


def _infos(plan_echo: Sequence[tuple[str, str]]) -> list[Info]:
    infos = [Info("SERVICE_PROTOCOL", SSA_VERSION, "SSAP"), Info("standardID", SSA_STANDARD_ID)]
    infos += [Info(name, value) for name, value in plan_echo]
    return infos


def product_query(service: SSAService, plan: SSAPlan) -> Query:
    """The store query: the plan's predicates, MAXREC+1 rows' worth of products, stable order."""
    per_product = max(len(plan.formats), 1)
    limit = math.ceil((plan.maxrec + 1) / per_product)
    order = (("corot_id", False), ("t_min", False), ("product_id", False))
    return Query(LIGHTCURVES, service.stored, where=plan.predicates, order_by=order, limit=limit)


def query_document(service: SSAService, store: Store, viewer: Viewer, plan: SSAPlan, *,
                   timeout: float | None = None) -> Iterator[bytes]:
    """The queryData VOTable, streamed; one row per light curve and requested format."""
    batches: Iterable[pa.RecordBatch] = ()
    if not plan.empty and plan.maxrec > 0:
        context = RowContext(service.profile, service.names, service.urls.products, service.urls.preview,
                             service.did_prefix, plan.formats, plan.position)
        stored = store.select(product_query(service, plan), viewer, batch_size=service.settings.limits.batch_rows,
                              timeout=timeout)
        batches = response_batches(stored, context)
    return write_votable(
        service.metas,
        batches,
        encoding="tabledata",
        max_records=plan.maxrec,
        resource_infos=_infos(plan.echo),
        params=service.table_params,
        coosys=CooSys(),
        timesys=(COVERAGE_TIMESYS,),
        extra_resources=service.discovery_resources,
        table_name="results",
        description="CoRoT N2 light curves",
    )


def _options(spec: InputSpec, service: SSAService) -> tuple[tuple[str, str], ...]:
    profile: SSAProfile = service.profile
    if spec.options_from == "bands":
        values = ["all", *(band.name for band in profile.bands), "optical"]
    elif spec.options_from == "formats":
        values = ["all", "compliant", "native", "graphic", "votable", "fits", "csv", "metadata",
                  *(fmt.mime for fmt in profile.formats)]
    elif spec.options_from == "collections":
        values = [service.collection, *profile.service.collection_names]
    elif spec.options_from == "runs":
        values = list(service.run_codes)
    else:
        values = list(spec.options)
    return tuple(("", value) for value in dict.fromkeys(values))


def _limit(value: float | None, datatype: str) -> str | None:
    if value is None:
        return None
    return str(int(value)) if datatype in {"int", "long", "short"} else repr(float(value))


def input_params(service: SSAService) -> list[Param]:
    """INPUT:<name> PARAMs of every queryData parameter (SSA 1.1 §6.2)."""
    params: list[Param] = []
    for spec in service.profile.inputs:
        column = spec.as_field(name=f"INPUT:{spec.name}")
        value: object = spec.value
        if spec.value is not None and spec.datatype in {"double", "float"}:
            value = float(spec.value)
        elif spec.value is not None and spec.datatype in {"int", "long", "short"}:
            value = int(spec.value)
        elif value is None and spec.datatype == "char":
            value = ""
        params.append(DescribedParam(
            column, value, id=f"INPUT_{spec.name}",
            minimum=_limit(spec.minimum, spec.datatype),
            maximum=_limit(spec.maximum, spec.datatype),
            options=_options(spec, service),
        ))
    return params


def metadata_document(service: SSAService) -> bytes:
    """FORMAT=METADATA: an empty query response (the output FIELDs) plus INPUT PARAMs."""
    chunks = write_votable(
        service.metas,
        (),
        encoding="tabledata",
        resource_infos=_infos(()),
        resource_params=input_params(service),
        params=service.table_params,
        coosys=CooSys(),
        timesys=(COVERAGE_TIMESYS,),
        table_name="results",
        description="Metadata of the CoRoT light-curve SSA service: input parameters and output columns",
    )
    return b"".join(chunks)


__all__ = ["COVERAGE_TIMESYS", "SSA_STANDARD_ID", "input_params", "metadata_document", "product_query",
           "query_document"]
