"""Running an ADQL query: plan (parse, annotate, translate) then stream the encoded result.

Shared by the synchronous endpoint and the asynchronous job worker (TAP 1.1 §2.1-2.2):

1. :func:`plan_query` parses and validates the query against the catalogue (plus the
   request's ``TAP_UPLOAD`` schema) and translates it to DuckDB SQL with bound parameters.
   Archive tables are read through :meth:`Store.relation_sql` for the viewer, so
   the access policy holds inside every subquery and join; uploads are read from the
   relations the store registers for the query.  At most MAXREC + 1 rows are fetched.
2. :func:`run_batches` runs the SQL (lazily, as Arrow batches) and :func:`encode_result`
   streams the result in the requested format:
   FIELDs from the annotated output columns, COOSYS/TIMESYS references, echo INFOs, a
   DataLink service descriptor for publisher DIDs, and the OVERFLOW INFO after the table
   when MAXREC cut the result (DALI 1.1 §5.4.1).

A plan remembers the rows of its last run when they are few (:class:`ResultMemo`) and
the query is a pure function of the stored data: only plain tables without an access
policy (whose rule compares with the current time), no uploads, no random numbers.  The
memo is keyed by the store's data version, so any committed write makes it stale; a
repeated query (a GROUP BY over the table, a client polling the same cone) then skips the
database while the result still streams through the encoder like any other.

Backend failures become service faults: :class:`~vo_service.store.base.QueryTimeout` a
:class:`TimeoutFault`, any other :class:`StoreError` a :class:`UsageFault` (the query was
valid ADQL but could not be evaluated, e.g. a type conversion of a value failed).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from tap.adql import AnnotatedQuery, OutputColumn, annotate, parse, translate_duckdb
from tap.params import QueryRequest
from tap.result_metadata import datalink_descriptors, declared_xtypes, echo_infos, systems_and_refs
from tap.uploads import UploadedTable, is_upload, relation_name, upload_schema
from vo_service.access import Viewer
from vo_service.faults import ServiceFault, TimeoutFault, UsageFault
from vo_service.metadata import Catalogue, TableMeta
from vo_service.store.base import Interruptible, QueryTimeout, Store, StoreError
from vo_service.votable.writer import EnvelopeOptions, VOTableTemplate, prepare_votable

log = logging.getLogger(__name__)

#: Rows per Arrow batch fetched from the store.
BATCH_ROWS = 20_000

#: Results up to this size (Arrow bytes) are remembered by their plan; larger ones stream
#: without being kept, so memory stays bounded by the plan cache's size times this.
MEMO_BYTES = 128 * 1024

#: VOTable envelopes kept per plan (a client rarely asks one query in more ways).
TEMPLATES_PER_PLAN = 8

#: SQL functions whose value changes from one run to the next (ADQL RAND, the IVOA
#: ivo_normal_random UDF): a query calling them is never remembered.
VOLATILE_SQL = ("random()", "now()", "current_timestamp", "current_date", "gen_random_uuid", "uuid()")


class ResultMemo:
    """The rows of a plan's last complete run, with the data version they were read at."""

    def __init__(self) -> None:
        self._entry: tuple[int, tuple[pa.RecordBatch, ...]] | None = None

    def get(self, version: int) -> tuple[pa.RecordBatch, ...] | None:
        """The remembered rows if they were read at ``version``."""
        entry = self._entry
        return entry[1] if entry is not None and entry[0] == version else None

    def recording(self, batches: Iterator[pa.RecordBatch], version: int) -> Iterator[pa.RecordBatch]:
        """``batches`` passed through; kept once read to the end if they stay within :data:`MEMO_BYTES`."""
        kept: list[pa.RecordBatch] | None = []
        size = 0
        try:
            for batch in batches:
                if kept is not None:
                    size += batch.nbytes
                    if size > MEMO_BYTES:
                        kept = None
                    else:
                        kept.append(batch)
                yield batch
        finally:
            close = getattr(batches, "close", None)
            if close is not None:
                close()
        if kept is not None:
            self._entry = (version, tuple(kept))


@dataclass(frozen=True)
class QueryPlan:
    """A translated query, ready to run."""

    annotated: AnnotatedQuery
    sql: str
    params: list[Any]
    #: The result columns as FIELDs describe them (TAP 1.1 §4.2).
    columns: tuple[OutputColumn, ...]
    #: The MAXREC the SQL was translated for (it fetches at most MAXREC + 1 rows).
    maxrec: int
    uploads: dict[str, pa.Table] = field(default_factory=dict)
    #: The result depends on the stored data only (see the module documentation).
    repeatable: bool = False
    memo: ResultMemo = field(default_factory=ResultMemo, compare=False, repr=False)
    #: VOTable envelopes prepared for this plan, by output format and echoed parameters.
    templates: dict[tuple[Any, ...], VOTableTemplate] = field(default_factory=dict, compare=False, repr=False)


def plan_query(
    query: str,
    catalogue: Catalogue,
    store: Store,
    viewer: Viewer,
    maxrec: int,
    uploads: Sequence[UploadedTable] = (),
) -> QueryPlan:
    """Parse, validate and translate ``query`` for ``viewer`` (raises AdqlError/UsageFault)."""
    if uploads:
        catalogue = catalogue.with_schema(upload_schema(uploads))

    read: list[TableMeta] = []

    def relation(table: TableMeta) -> str:
        read.append(table)
        if is_upload(table):
            return relation_name(table)
        return store.relation_sql(table, viewer)

    annotated = annotate(parse(query), catalogue)
    sql, params = translate_duckdb(annotated, relation, limit=maxrec + 1)
    columns = tuple(declared_xtypes(annotated.columns, catalogue))
    repeatable = not uploads and _repeatable(sql, read)
    return QueryPlan(annotated, sql, params, columns, maxrec, {u.name: u.data for u in uploads}, repeatable)


def _repeatable(sql: str, tables: Sequence[TableMeta]) -> bool:
    """Whether the SQL gives the same rows until the stored data change."""
    lowered = sql.lower()
    return (all(table.type == "table" and not table.access_controlled and not is_upload(table) for table in tables)
            and not any(name in lowered for name in VOLATILE_SQL))


class PlanCache:
    """Recently translated queries, so that a repeated query skips parse, annotate, translate.

    The SQL depends only on the query text, MAXREC and the viewer's groups (the access rule
    compares with the current time inside the SQL); queries with uploads are not cached.
    """

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._plans: OrderedDict[tuple[str, int, frozenset[str]], QueryPlan] = OrderedDict()
        self._lock = threading.Lock()

    def plan(self, query: str, catalogue: Catalogue, store: Store, viewer: Viewer, maxrec: int,
             uploads: Sequence[UploadedTable] = ()) -> QueryPlan:
        """:func:`plan_query`, from the cache when possible."""
        if uploads:
            return plan_query(query, catalogue, store, viewer, maxrec, uploads)
        key = (query, maxrec, viewer.groups)
        with self._lock:
            cached = self._plans.get(key)
            if cached is not None:
                self._plans.move_to_end(key)
                return cached
        plan = plan_query(query, catalogue, store, viewer, maxrec)
        with self._lock:
            self._plans[key] = plan
            while len(self._plans) > self.size:
                self._plans.popitem(last=False)
        return plan

    def remembered(self, query: str, viewer: Viewer, maxrec: int, version: int
                   ) -> tuple[QueryPlan, tuple[pa.RecordBatch, ...]] | None:
        """The plan and remembered rows of a query already run at data ``version``, else None."""
        with self._lock:
            plan = self._plans.get((query, maxrec, viewer.groups))
        rows = plan.memo.get(version) if plan is not None and plan.repeatable else None
        return (plan, rows) if plan is not None and rows is not None else None


def warm_up_queries(catalogue: Catalogue) -> list[str]:
    """The queries :func:`warm_up` runs: TAP_SCHEMA, and a small cone on a positional table."""
    queries = ["SELECT COUNT(*) AS n FROM TAP_SCHEMA.tables"]
    spatial = next((table for table in catalogue.tables() if table.spatial is not None), None)
    if spatial is not None and spatial.spatial is not None:
        ra, dec = spatial.spatial.ra, spatial.spatial.dec
        queries.append(f"SELECT TOP 1 {ra}, {dec} FROM {spatial.name} "
                       f"WHERE 1 = CONTAINS(POINT('ICRS', {ra}, {dec}), CIRCLE('ICRS', 0, 0, 0.01))")
    return queries


def warm_up(catalogue: Catalogue, store: Store, timeout: float | None = None) -> None:
    """Plan and run a few queries once at start, so that the first query of a user does not
    pay for building the ADQL parser tables (about 0.3-0.8 s), the lazy imports of the
    translation and geometry code and the first read of the tables."""
    for query in warm_up_queries(catalogue):
        try:
            plan = plan_query(query, catalogue, store, Viewer(), maxrec=1)
            for _ in run_batches(plan, store, timeout=timeout):
                pass
        except (ServiceFault, StoreError, ValueError) as exc:
            log.warning("TAP warm-up query failed: %s (%s)", query, exc)


def store_fault(exc: StoreError) -> ServiceFault:
    """A backend failure as the fault a user sees."""
    if isinstance(exc, QueryTimeout):
        return TimeoutFault(str(exc), hint="Use the asynchronous endpoint (/tap/async) for long queries.")
    return UsageFault(f"The query could not be evaluated: {exc}")


def _translated_errors(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """Re-raise store errors as service faults (their messages reach the user in-band too)."""
    try:
        yield from batches
    except StoreError as exc:
        raise store_fault(exc) from None
    finally:
        close = getattr(batches, "close", None)
        if close is not None:
            close()


def run_batches(
    plan: QueryPlan,
    store: Store,
    *,
    timeout: float | None,
    on_cursor: Callable[[Interruptible], object] | None = None,
) -> Iterator[pa.RecordBatch]:
    """The rows of a plan, as Arrow batches; nothing runs until the first one is asked for."""
    if plan.maxrec == 0:  # metadata only (DALI 1.1 §3.3.2): the query need not run
        return iter(())
    version = store.data_version
    if plan.repeatable:
        remembered = plan.memo.get(version)
        if remembered is not None:
            return iter(remembered)
    batches = store.stream_sql(
        plan.sql, plan.params, batch_size=BATCH_ROWS, timeout=timeout, uploads=plan.uploads or None,
        on_cursor=on_cursor,
    )
    if plan.repeatable:
        batches = plan.memo.recording(batches, version)
    return _translated_errors(batches)


def encode_result(
    plan: QueryPlan,
    request: QueryRequest,
    batches: Iterator[pa.RecordBatch],
    *,
    datalink_url: str,
) -> Iterator[bytes]:
    """The result document in the requested format (TAP 1.1 §4, DALI 1.1 §5.4).

    A VOTable's envelope (FIELDs, COOSYS/TIMESYS, echo INFOs, DataLink descriptor) depends
    on the plan and the request's parameters only, so the plan keeps it prepared for the
    next request asking the same way.
    """
    if request.output.name == "votable":
        return _votable_template(plan, request, datalink_url).stream(batches, max_records=request.maxrec)
    return request.output.encode(_columns(plan), batches, max_records=request.maxrec,
                                 **_envelope_options(plan, request, datalink_url))


def _columns(plan: QueryPlan) -> list[OutputColumn]:
    return list(plan.columns)


def _envelope_options(plan: QueryPlan, request: QueryRequest, datalink_url: str) -> EnvelopeOptions:
    columns = _columns(plan)
    coosys, timesys, refs = systems_and_refs(columns)
    return EnvelopeOptions(
        resource_infos=echo_infos(query=request.query, lang=request.lang, maxrec=request.maxrec, runid=request.runid),
        coosys=coosys,
        timesys=timesys,
        refs=refs,
        extra_resources=datalink_descriptors(columns, datalink_url, coosys, timesys),
        table_name="result",
    )


def _votable_template(plan: QueryPlan, request: QueryRequest, datalink_url: str) -> VOTableTemplate:
    output = request.output
    key = (output, request.query, request.lang, request.maxrec, request.runid, datalink_url)
    template = plan.templates.get(key)
    if template is None:
        template = prepare_votable(_columns(plan), encoding=output.votable_encoding,
                                   version=output.votable_version, **_envelope_options(plan, request, datalink_url))
        if len(plan.templates) >= TEMPLATES_PER_PLAN:
            plan.templates.clear()
        plan.templates[key] = template
    return template


__all__ = [
    "BATCH_ROWS",
    "MEMO_BYTES",
    "PlanCache",
    "QueryPlan",
    "ResultMemo",
    "encode_result",
    "plan_query",
    "run_batches",
    "store_fault",
    "warm_up",
    "warm_up_queries",
]
