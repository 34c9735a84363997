"""The embedded default store: DuckDB (columnar scans, Arrow streaming, one file).

Declared tables are materialised from :mod:`vo_service.metadata`; positional tables get the
internal ``_hpx`` column (:mod:`vo_service.spatial`) and are kept sorted by it, so DuckDB's
per-row-group min/max statistics prune cone and polygon scans to a few row groups.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

import duckdb
import pyarrow as pa

from vo_service.access import PUBLIC_GROUP, Viewer
from vo_service.metadata import Catalogue, ColumnMeta, TableMeta
from vo_service.spatial import HPX_COLUMN, cone_ranges
from vo_service.store.base import (
    ArchiveInUse,
    Between,
    Cone,
    Equals,
    Interruptible,
    IntervalOverlap,
    Like,
    Predicate,
    Query,
    QueryTimeout,
    StoreError,
    declared_tables,
)
from vo_service.store.duckdb_functions import register_functions
from vo_service.store.resident import NotResident, ResidentTable
from vo_service.store.watchdog import Watchdog

log = logging.getLogger(__name__)

#: Interrupts queries past their execution-time limit (one thread for the process).
_WATCHDOG = Watchdog()
#: Rows per Arrow batch of :meth:`DuckDBStore.fetch_table` (small metadata look-ups).
DEFAULT_FETCH_ROWS = 131_072
#: Access group names the store accepts (anything else never reaches its SQL).
GROUP_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")

#: Columns a table has in storage but never shows through any protocol.
INTERNAL_COLUMNS: Mapping[str, tuple[tuple[str, str], ...]] = {
    "corot.lightcurves": (("file_path", "VARCHAR"), ("ingested_at", "TIMESTAMP")),
}


#: DuckDB types of the VOTable scalar datatypes (VOTable 1.4 §2.1); text is VARCHAR.
SCALAR_TYPES: Mapping[str, str] = {
    "boolean": "BOOLEAN",
    "unsignedByte": "UTINYINT",
    "short": "SMALLINT",
    "int": "INTEGER",
    "long": "BIGINT",
    "float": "REAL",
    "double": "DOUBLE",
}


def scalar_type(datatype: str) -> str:
    """The DuckDB type holding values of a VOTable scalar datatype."""
    return SCALAR_TYPES.get(datatype, "VARCHAR")


def physical_type(column: ColumnMeta) -> str:
    """DuckDB type that stores a declared column."""
    if column.xtype == "timestamp":
        return "TIMESTAMP"
    if column.xtype in {"point", "circle", "polygon"}:
        return "DOUBLE[]"
    return scalar_type(column.datatype)


def haversine_sql(ra1: str, dec1: str, ra2: str, dec2: str) -> str:
    """Great-circle distance in radians between two positions in degrees, haversine form
    (accurate at small separations; :func:`vo_service.spatial.angular_distance` outside SQL)."""
    return (
        f"(2 * asin(sqrt(least(1.0, pow(sin(radians(({dec2}) - ({dec1})) / 2), 2) "
        f"+ cos(radians({dec1})) * cos(radians({dec2})) * pow(sin(radians(({ra2}) - ({ra1})) / 2), 2)))))"
    )


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def qualified(table_name: str) -> str:
    schema, table = table_name.split(".", 1)
    return f"{quote_ident(schema)}.{quote_ident(table)}"


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class _SharedDatabase:
    """One DuckDB connection per database file per process, shared by every store on it.

    DuckDB already shares one database instance per file inside a process; sharing the
    connection too means the Python functions are registered once and stay valid until
    the last store on the file closes.
    """

    _open: ClassVar[dict[str, tuple[duckdb.DuckDBPyConnection, int]]] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()
    _write_locks: ClassVar[dict[int, threading.Lock]] = {}
    _versions: ClassVar[dict[int, int]] = {}

    @classmethod
    def version(cls, conn: duckdb.DuckDBPyConnection) -> int:
        """How many write transactions have been committed on ``conn`` in this process."""
        return cls._versions.get(id(conn), 0)

    @classmethod
    def bump(cls, conn: duckdb.DuckDBPyConnection) -> None:
        with cls._lock:
            cls._versions[id(conn)] = cls._versions.get(id(conn), 0) + 1

    @classmethod
    def write_lock(cls, conn: duckdb.DuckDBPyConnection) -> threading.Lock:
        """The lock serialising transactions on a shared connection."""
        with cls._lock:
            return cls._write_locks.setdefault(id(conn), threading.Lock())

    @classmethod
    def acquire(cls, path: str, read_only: bool, config: dict[str, Any]) -> duckdb.DuckDBPyConnection:
        key = str(Path(path).resolve()) if path != ":memory:" else f":memory:{len(cls._open)}:{id(config)}"
        with cls._lock:
            if key in cls._open:
                conn, users = cls._open[key]
                cls._open[key] = (conn, users + 1)
                return conn
            conn = duckdb.connect(path, read_only=read_only, config=config)
            try:
                register_functions(conn)
            except BaseException:
                conn.close()
                raise
            cls._open[key] = (conn, 1)
            return conn

    @classmethod
    def release(cls, conn: duckdb.DuckDBPyConnection) -> None:
        with cls._lock:
            for key, (shared, users) in list(cls._open.items()):
                if shared is conn:
                    if users > 1:
                        cls._open[key] = (shared, users - 1)
                        return
                    del cls._open[key]
                    cls._write_locks.pop(id(conn), None)
                    cls._versions.pop(id(conn), None)
                    break
        conn.close()


class DuckDBStore:
    """:class:`vo_service.store.base.Store` on DuckDB."""

    dialect = "duckdb"

    def __init__(
        self,
        path: Path | str,
        catalogue: Catalogue,
        *,
        read_only: bool = False,
        views: Mapping[str, str] | None = None,
        threads: int = 2,
        memory_limit: str = "4GB",
        resident_rows: int = 0,
    ) -> None:
        self.path = Path(path) if str(path) != ":memory:" else None
        self.catalogue = catalogue
        self.read_only = read_only
        if self.path is not None and not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._conn = _SharedDatabase.acquire(
                str(path), read_only, {"threads": threads, "memory_limit": memory_limit}
            )
        except duckdb.Error as exc:
            raise _open_error(str(path), exc) from exc
        self._lock = _SharedDatabase.write_lock(self._conn)
        #: positional tables up to this many rows answer cone queries from memory (0: never).
        self.resident_rows = resident_rows
        self._resident: dict[str, ResidentTable] = {}
        #: tables found too big (or not positional) at the data version recorded here.
        self._unqualified: dict[str, int] = {}
        self._resident_lock = threading.Lock()
        if not read_only:
            self._create_schema()
            self._create_views(views or {})

    # -- set-up --------------------------------------------------------------------------
    def _create_schema(self) -> None:
        for table in declared_tables(self.catalogue):
            self._conn.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(table.schema_name)}")
            columns = [f"{quote_ident(c.name)} {physical_type(c)}" for c in table.columns]
            if table.spatial is not None:
                columns.append(f"{quote_ident(HPX_COLUMN)} BIGINT")
            columns += [f"{quote_ident(n)} {t}" for n, t in INTERNAL_COLUMNS.get(table.name, ())]
            self._conn.execute(f"CREATE TABLE IF NOT EXISTS {qualified(table.name)} ({', '.join(columns)})")
            self._add_new_columns(table)
            for column in table.columns:
                if column.indexed and column.datatype in {"long", "int", "char", "short"}:
                    index = f"idx_{table.schema_name}_{table.short_name}_{column.name}"
                    self._conn.execute(
                        f"CREATE INDEX IF NOT EXISTS {quote_ident(index)} "
                        f"ON {qualified(table.name)} ({quote_ident(column.name)})"
                    )

    def _add_new_columns(self, table: TableMeta) -> None:
        """Columns declared after the archive was created are added, empty: the operator is
        told to ingest the table's source again to fill them."""
        present = {row[0] for row in self._conn.execute(
            "SELECT column_name FROM duckdb_columns() WHERE schema_name = ? AND table_name = ?",
            [table.schema_name, table.short_name]).fetchall()}
        for column in table.columns:
            if column.name in present:
                continue
            self._conn.execute(f"ALTER TABLE {qualified(table.name)} ADD COLUMN "
                               f"{quote_ident(column.name)} {physical_type(column)}")
            log.warning("%s.%s is new in this version and empty in this archive: ingest the source of %s again "
                        "to fill it", table.name, column.name, table.name)

    def _create_views(self, views: Mapping[str, str]) -> None:
        for name, select_sql in views.items():
            self._conn.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(name.split('.', 1)[0])}")
            self._conn.execute(f"CREATE OR REPLACE VIEW {qualified(name)} AS {select_sql}")

    # -- access --------------------------------------------------------------------------
    def _visibility_sql(self, viewer: Viewer, alias: str = "") -> str:
        prefix = f"{alias}." if alias else ""
        groups = [PUBLIC_GROUP, *sorted(g for g in viewer.groups if GROUP_NAME.match(g))]
        group_list = ", ".join(_sql_string(g) for g in groups)
        return (
            f"({prefix}access_group IN ({group_list}) "
            f"OR {prefix}release_date <= CAST(now() AS TIMESTAMP))"
        )

    def relation_sql(self, table: TableMeta, viewer: Viewer) -> str:
        source = qualified(table.name)
        if not table.access_controlled:
            return source
        return f"(SELECT * FROM {source} WHERE {self._visibility_sql(viewer)})"

    # -- reading -------------------------------------------------------------------------
    def _predicate_sql(self, table: TableMeta, pred: Predicate, params: list[Any]) -> str:
        if isinstance(pred, Cone):
            if table.spatial is None:
                raise StoreError(f"{table.name} has no position to search")
            ra, dec = quote_ident(table.spatial.ra), quote_ident(table.spatial.dec)
            ranges = cone_ranges(pred.ra, pred.dec, pred.radius)
            # The overall span first: a plain range the scan can check against each row
            # group's min/max before the OR of exact ranges.
            parts = []
            params += [ranges[0][0], ranges[-1][1]]
            for lo, hi in ranges:
                parts.append(f"{quote_ident(HPX_COLUMN)} BETWEEN ? AND ?")
                params += [lo, hi]
            params += [pred.dec, pred.dec, pred.ra, pred.radius]
            exact = f"{haversine_sql(ra, dec, '?', '?')} <= radians(?)"
            return f"({quote_ident(HPX_COLUMN)} BETWEEN ? AND ? AND ({' OR '.join(parts)}) AND {exact})"
        column = quote_ident(table.column(pred.column).name) if not isinstance(pred, IntervalOverlap) else ""
        if isinstance(pred, Between):
            clauses = []
            if pred.low is not None:
                clauses.append(f"{column} >= ?")
                params.append(pred.low)
            if pred.high is not None:
                clauses.append(f"{column} <= ?")
                params.append(pred.high)
            return "(" + " AND ".join(clauses or ["TRUE"]) + ")"
        if isinstance(pred, Equals):
            if not pred.values:
                return "FALSE"
            params += list(pred.values)
            return f"{column} IN ({', '.join('?' for _ in pred.values)})"
        if isinstance(pred, IntervalOverlap):
            low_col = quote_ident(table.column(pred.low_column).name)
            high_col = quote_ident(table.column(pred.high_column).name)
            clauses = []
            if pred.high is not None:
                clauses.append(f"{low_col} <= ?")
                params.append(pred.high)
            if pred.low is not None:
                clauses.append(f"{high_col} >= ?")
                params.append(pred.low)
            return "(" + " AND ".join(clauses or ["TRUE"]) + ")"
        if isinstance(pred, Like):
            params.append(pred.pattern)
            return f"{column} {'ILIKE' if pred.case_insensitive else 'LIKE'} ?"
        raise StoreError(f"unsupported predicate {pred!r}")

    def compile(self, query: Query, viewer: Viewer) -> tuple[str, list[Any]]:
        """The DuckDB SQL for a structured query (exposed for tests and EXPLAIN)."""
        table = self.catalogue.table(query.table)
        params: list[Any] = []
        columns = ", ".join(quote_ident(table.column(c).name) for c in query.columns)
        where = [self._predicate_sql(table, p, params) for p in query.where]
        if table.access_controlled:
            where.append(self._visibility_sql(viewer))
        sql = f"SELECT {columns} FROM {qualified(table.name)}"
        if where:
            sql += " WHERE " + " AND ".join(where)
        if query.order_by:
            sql += " ORDER BY " + ", ".join(
                f"{quote_ident(table.column(c).name)} {'DESC' if desc else 'ASC'}" for c, desc in query.order_by
            )
        if query.limit is not None:
            sql += " LIMIT ?"
            params.append(int(query.limit))
        return sql, params

    def select(
        self, query: Query, viewer: Viewer, *, batch_size: int = 10_000, timeout: float | None = None
    ) -> Iterator[pa.RecordBatch]:
        if any(isinstance(p, Cone) for p in query.where):
            resident = self._resident_table(query.table, wait=False)
            if resident is not None:
                try:
                    return resident.select(query, viewer, batch_size=batch_size)
                except NotResident:
                    pass
        sql, params = self.compile(query, viewer)
        return self.stream_sql(sql, params, batch_size=batch_size, timeout=timeout)

    # -- resident copies -----------------------------------------------------------------
    @property
    def data_version(self) -> int:
        """Changes whenever a write transaction commits on this database in this process."""
        return _SharedDatabase.version(self._conn)

    def preload(self, table: str) -> bool:
        """Hold ``table`` in memory for cone queries now, if it qualifies; True if it is held."""
        return self._resident_table(table, wait=True) is not None

    def _resident_table(self, table: str, *, wait: bool) -> ResidentTable | None:
        """The current resident copy of ``table``, loading it when missing or stale.

        Without ``wait``, a query that finds another thread loading the copy goes to the
        database instead of queueing behind the load.
        """
        if self.resident_rows <= 0:
            return None
        version = self.data_version
        current = self._resident.get(table)
        if current is not None and current.version == version:
            return current
        if self._unqualified.get(table) == version:
            return None
        if not self._resident_lock.acquire(blocking=wait):
            return None
        try:
            return self._load_resident(table, version)
        finally:
            self._resident_lock.release()

    def _load_resident(self, table: str, version: int) -> ResidentTable | None:
        current = self._resident.get(table)
        if current is not None and current.version == version:
            return current
        self._resident.pop(table, None)
        meta = self.catalogue.table(table)
        if meta.spatial is None or meta.type != "table" or self.count(table) > self.resident_rows:
            self._unqualified[table] = version
            return None
        names = ", ".join(quote_ident(c.name) for c in meta.columns)
        data = self.fetch_table(
            f"SELECT {names}, {quote_ident(HPX_COLUMN)} FROM {qualified(meta.name)} ORDER BY {quote_ident(HPX_COLUMN)}"
        )
        resident = ResidentTable.from_arrow(meta, data, version)
        self._resident[table] = resident
        return resident

    def stream_sql(
        self,
        sql: str,
        params: Sequence[Any] = (),
        *,
        batch_size: int = 10_000,
        timeout: float | None = None,
        uploads: dict[str, pa.Table] | None = None,
        on_cursor: Callable[[Interruptible], object] | None = None,
    ) -> Iterator[pa.RecordBatch]:
        def _generate() -> Iterator[pa.RecordBatch]:
            cursor = self._conn.cursor()
            timed_out = threading.Event()
            handle: int | None = None

            def _interrupt() -> None:
                timed_out.set()
                cursor.interrupt()

            def _failure(exc: BaseException) -> StoreError:
                if timed_out.is_set():
                    return QueryTimeout(f"The query exceeded the execution time limit of {timeout:g} s")
                return StoreError(_clean_duckdb_message(str(exc)))

            try:
                if on_cursor is not None:
                    on_cursor(cursor)
                for name, table in (uploads or {}).items():
                    cursor.register(f"tap_upload_{name}", table)
                if timeout is not None:
                    handle = _WATCHDOG.schedule(timeout, _interrupt)
                reader = _arrow_reader(cursor, sql, params, batch_size)
                while True:
                    try:
                        batch = reader.read_next_batch()
                    except StopIteration:
                        break
                    yield batch
            except (duckdb.Error, RuntimeError) as exc:
                raise _failure(exc) from exc
            finally:
                if handle is not None:
                    _WATCHDOG.cancel(handle)
                cursor.close()

        return _generate()

    def fetch_table(self, sql: str, params: Sequence[Any] = ()) -> pa.Table:
        """Run a small query and return it whole (metadata look-ups, never user results)."""
        cursor = self._conn.cursor()
        try:
            return _arrow_reader(cursor, sql, params, DEFAULT_FETCH_ROWS).read_all()
        except duckdb.Error as exc:
            raise StoreError(_clean_duckdb_message(str(exc))) from exc
        finally:
            cursor.close()

    def count(self, table: str, viewer: Viewer | None = None) -> int:
        meta = self.catalogue.table(table)
        relation = self.relation_sql(meta, viewer) if viewer is not None else qualified(meta.name)
        result = self.fetch_table(f"SELECT count(*) AS n FROM {relation}")
        return int(result.column(0)[0].as_py())

    def product_file(self, product_id: str, viewer: Viewer) -> dict[str, Any] | None:
        meta = self.catalogue.table("corot.lightcurves")
        sql = f"SELECT * FROM {qualified(meta.name)} WHERE product_id = ? AND {self._visibility_sql(viewer)}"
        rows = self.fetch_table(sql, [product_id]).to_pylist()
        return rows[0] if rows else None

    # -- writing -------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """All-or-nothing writes: commit on success, roll back on any exception."""
        if self.read_only:
            raise StoreError("the store is open read-only")
        with self._lock:
            self._conn.execute("BEGIN TRANSACTION")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
            _SharedDatabase.bump(self._conn)

    def upsert(
        self, conn: duckdb.DuckDBPyConnection, table: str, rows: pa.Table, key: Sequence[str]
    ) -> int:
        """Replace rows with the same key, then insert ``rows`` (idempotent re-ingest)."""
        if rows.num_rows == 0:
            return 0
        target = qualified(self.catalogue.table(table).name)
        conn.register("_incoming", rows)
        try:
            match = " AND ".join(f"t.{quote_ident(k)} = i.{quote_ident(k)}" for k in key)
            conn.execute(f"DELETE FROM {target} t WHERE EXISTS (SELECT 1 FROM _incoming i WHERE {match})")
            names = ", ".join(quote_ident(n) for n in rows.column_names)
            conn.execute(f"INSERT INTO {target} ({names}) SELECT {names} FROM _incoming")
        finally:
            conn.unregister("_incoming")
        return int(rows.num_rows)

    def recluster(self, conn: duckdb.DuckDBPyConnection, table: str) -> None:
        """Rewrite a positional table in ``_hpx`` order so spatial scans prune row groups."""
        meta = self.catalogue.table(table)
        if meta.spatial is None:
            return
        target = qualified(meta.name)
        conn.execute(f"CREATE OR REPLACE TEMP TABLE _reorder AS SELECT * FROM {target} ORDER BY {HPX_COLUMN}")
        conn.execute(f"DELETE FROM {target}")
        conn.execute(f"INSERT INTO {target} SELECT * FROM _reorder")
        conn.execute("DROP TABLE _reorder")

    def replace_table(self, name: str, table: pa.Table) -> None:
        """(Re)create a derived table such as TAP_SCHEMA.* from Arrow data."""
        with self.transaction() as conn:
            conn.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(name.split('.', 1)[0])}")
            conn.register("_derived", table)
            try:
                conn.execute(f"CREATE OR REPLACE TABLE {qualified(name)} AS SELECT * FROM _derived")
            finally:
                conn.unregister("_derived")

    def checkpoint(self) -> None:
        if not self.read_only:
            self._conn.execute("CHECKPOINT")

    def close(self) -> None:
        _SharedDatabase.release(self._conn)


def _engine_submit() -> Callable[..., Any] | None:
    """DuckDB's own statement submission (``duckdb._seam.submit``, DuckDB 2.0), when present.

    It is not a public interface: where a DuckDB release lacks it, statements take the
    public relation path instead, with the same rows.
    """
    try:
        from duckdb import _seam  # noqa: PLC0415  # optional private module, probed once
    except ImportError:
        return None
    submit = getattr(_seam, "submit", None)
    return submit if callable(submit) else None


_ENGINE_SUBMIT = _engine_submit()


def _arrow_reader(cursor: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any], batch_size: int,
                  *, direct: bool = True) -> Any:
    """Run one statement with its bound parameters and stream its rows as Arrow batches.

    The statement goes straight to the engine where DuckDB offers it: the relation layer
    of ``cursor.sql`` would parse it and bind it once more to describe a relation that is
    only read out, which costs about a millisecond per query (as much as a lookup by ID).
    """
    if direct and _ENGINE_SUBMIT is not None:
        return _ENGINE_SUBMIT(cursor, sql, list(params) or None, "stream", batch_size).arrow_reader()
    return cursor.sql(sql, params=list(params)).to_arrow_reader(batch_size)


_LOCK_HOLDER = re.compile(r"Conflicting lock is held in .*?\(PID (\d+)\)")


def _open_error(path: str, exc: duckdb.Error) -> StoreError:
    """:class:`ArchiveInUse` when another process holds the file's lock, else a one-line StoreError."""
    message = str(exc)
    if "Could not set lock" in message or "Conflicting lock" in message:
        holder = _LOCK_HOLDER.search(message)
        return ArchiveInUse(path, int(holder.group(1)) if holder else None)
    return StoreError(f"cannot open the archive database {path}: {_clean_duckdb_message(message)}")


def _clean_duckdb_message(message: str) -> str:
    """Drop DuckDB's internal detail lines; keep the first, user-meaningful one."""
    first = message.strip().splitlines()[0] if message.strip() else "query failed"
    return first.removeprefix("Binder Error: ").removeprefix("Parser Error: ")


__all__ = ["INTERNAL_COLUMNS", "DuckDBStore", "physical_type", "qualified", "quote_ident"]
