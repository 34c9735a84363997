"""The ingester: real CoRoT N2 FITS products and catalogue files into the store.

The demo generator's files go through this same code.  Every argument is accounted for:
each input is validated first (a bad or truncated file, a file that is neither an N2
product nor a catalogue, a missing path is reported with its name and the reason, and
skipped); the good ones are then written in one store transaction, so the archive is never
left half-written, also when the ingest is interrupted (Ctrl-C): product files are staged
beside their place and moved there only while the transaction commits.  Re-ingesting a
file replaces its row (keyed by product id): idempotent.
Products are kept as files under the archive tree ``products/N2-4.4/YYYY/MM/DD/`` with
the SHA-256 checksum recorded.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import signal
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from tqdm import tqdm

from archive.n2fits import N2FormatError, read_n2
from archive.naming import parse_product_name
from vo_service.metadata import Catalogue
from vo_service.mission import pointings, runs, to_mjd
from vo_service.spatial import HPX_COLUMN, hpx_index
from vo_service.store.duckdb_store import DuckDBStore

log = logging.getLogger(__name__)

FITS_SUFFIXES = (".fits", ".fit", ".fts")
CATALOGUE_SUFFIXES = (".parquet", ".csv")


@dataclass
class IngestReport:
    """What an ingest did: counts per table and the files it refused, with reasons."""

    products: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    failures: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failures


@dataclass(frozen=True)
class AccessPolicy:
    """Access fields given to the products of one ingest (``public`` by default)."""

    group: str = "public"
    release_date: datetime | None = None


INGESTIBLE = FITS_SUFFIXES + CATALOGUE_SUFFIXES
NOT_INGESTIBLE = "neither an N2 FITS product (.fits, .fit, .fts) nor a catalogue (.csv, .parquet)"


def _expand(paths: Iterable[Path]) -> tuple[list[Path], list[tuple[str, str]]]:
    """The files to ingest (directories walked), and the arguments refused with a reason."""
    files: dict[Path, None] = {}
    refused: list[tuple[str, str]] = []
    for path in paths:
        if path.is_dir():
            found = [sub for sub in sorted(path.rglob("*")) if sub.is_file() and sub.suffix.lower() in INGESTIBLE]
            if not found:
                refused.append((str(path), "the directory holds no N2 FITS products or catalogues"))
            files.update(dict.fromkeys(found))
        elif not path.exists():
            refused.append((str(path), "no such file or directory"))
        elif not path.is_file():
            refused.append((str(path), "not a regular file"))
        elif path.suffix.lower() not in INGESTIBLE:
            refused.append((str(path), NOT_INGESTIBLE))
        else:
            files[path] = None
    return list(files), refused


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def inspect_product(path: Path) -> dict[str, Any]:
    """Read and validate one N2 file; the lightcurves row (without access fields).

    Runs in a worker process.  Raises :class:`N2FormatError` for anything unusable.
    """
    try:
        name = parse_product_name(path.name).name
    except ValueError as exc:
        raise N2FormatError(path, f"the file name is not an N2 product name: {exc}") from exc
    product = read_n2(path)
    return {
        "product_id": name,
        "corot_id": int(product.corot_id),
        "run_code": product.run_code,
        "product_type": product.product_type,
        "channel": product.channel,
        "hlfccdid": product.hlfccdid or "",
        "ra": float(product.ra),
        "dec": float(product.dec),
        "vmag": None if product.vmag is None or not np.isfinite(product.vmag) else float(product.vmag),
        "t_min": float(product.t_min),
        "t_max": float(product.t_max),
        "cadence": float(product.cadence_s),
        "n_points": int(product.n_points),
        "file_size": path.stat().st_size,
        "checksum": _sha256(path),
        "version": product.version or "N2-4.4",
        "processing_level": "N2",
        "dataset_id": f"DA_TC_COROT_N2_{product.run_code}_{product.product_type}",
        "source": str(path),
    }


def _inspect_safely(path: Path) -> tuple[dict[str, Any] | None, str | None]:
    try:
        return inspect_product(path), None
    except N2FormatError as exc:
        return None, str(exc.reason if hasattr(exc, "reason") else exc)
    except OSError as exc:
        return None, f"cannot read the file: {exc.strerror or exc}"


def _archive_relpath(row: dict[str, Any]) -> Path:
    """``N2-4.4/YYYY/MM/DD/<name>.fits`` where the date is the product start (UT)."""
    stamp = str(row["product_id"]).split("_")[-2]
    return Path(str(row["version"])) / stamp[:4] / stamp[4:6] / stamp[6:8] / f"{row['product_id']}.fits"


@dataclass
class _Staged:
    """Product files copied beside their place in the archive tree, moved there on commit."""

    moves: list[tuple[Path, Path]] = field(default_factory=list)
    created: list[Path] = field(default_factory=list)

    def stage(self, source: Path, products_dir: Path, relpath: Path) -> Path:
        """Copy ``source`` to ``<target>.partial`` (nothing to do for a file already in place)."""
        target = products_dir / relpath
        if source.resolve() == target.resolve():
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".fits.partial")
        self.moves.append((partial, target))
        shutil.copyfile(source, partial)
        return target

    def publish(self) -> None:
        """Move every staged file to its place (atomic renames on one file system)."""
        for partial, target in self.moves:
            if not target.exists():
                self.created.append(target)
            os.replace(partial, target)
        self.moves.clear()

    def discard(self) -> None:
        """Undo: remove the staged copies and the files this ingest added to the tree."""
        for path in [partial for partial, _ in self.moves] + self.created:
            path.unlink(missing_ok=True)
        self.moves.clear()
        self.created.clear()


class _InterruptHold:
    """Holds Ctrl-C (SIGINT) through a step that must not be cut short.

    Used while validation workers are started (they inherit the handler, never Python's
    KeyboardInterrupt) and from the moment product files are moved until the commit.
    Only the main thread can install signal handlers; elsewhere this does nothing.
    """

    def __init__(self) -> None:
        self._previous: Any = None
        self.received = False

    def hold(self) -> None:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._note)

    def _note(self, signum: int, frame: object) -> None:
        self.received = True

    def release(self) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None


def _ignore_interrupts() -> None:
    """Validation workers leave Ctrl-C to the parent, which stops them and reports once."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _read_catalogue(path: Path) -> pa.Table:
    if path.suffix.lower() == ".parquet":
        return pq.read_table(path)
    return pacsv.read_csv(path)


def _catalogue_target(table: pa.Table, catalogue: Catalogue) -> str | None:
    """Which declared table a catalogue file feeds, by its columns."""
    names = set(table.column_names)
    for candidate in ("corot.targets", "corot.datasets", "corot.runs"):
        meta = catalogue.table(candidate)
        if set(meta.primary_key) <= names <= {c.name for c in meta.columns}:
            return candidate
    return None


def observation_ids(table: pa.Table) -> tuple[pa.Table, str | None]:
    """Observation-log rows with their ``obs_id``: the identifier of the observation's N2
    product, its file name without directories and ``.fits`` (as ``product_id`` of the
    light curves).  Deliveries such as VizieR B/corot give the file name, not the id.
    Returns the table, or a reason to refuse the file."""
    if "obs_id" not in table.column_names:
        if "file_name" not in table.column_names:
            return table, "corot.targets rows need obs_id or file_name (the N2 product of the observation)"
        stems = pc.replace_substring_regex(pc.cast(table.column("file_name"), pa.string()),
                                           pattern=r"^(?:.*/)?([^/]*?)(?:\.fits)?$", replacement=r"\1")
        table = table.append_column("obs_id", stems)
    ids = pc.cast(table.column("obs_id"), pa.string())
    missing = pc.sum(pc.or_kleene(pc.is_null(ids), pc.equal(ids, ""))).as_py() or 0
    if missing:
        return table, f"{missing} corot.targets row(s) without obs_id or file_name"
    return table.set_column(table.column_names.index("obs_id"), "obs_id", ids), None


def _conform(table: pa.Table, store: DuckDBStore, name: str) -> pa.Table:
    """Add the ``_hpx`` index to positional tables; order columns as declared."""
    meta = store.catalogue.table(name)
    if meta.spatial is not None:
        ra = table.column(meta.spatial.ra).to_numpy(zero_copy_only=False)
        dec = table.column(meta.spatial.dec).to_numpy(zero_copy_only=False)
        table = table.append_column(HPX_COLUMN, pa.array(hpx_index(ra, dec)))
    return table


def runs_rows(targets_per_run: dict[str, int] | None = None) -> pa.Table:
    """The ``corot.runs`` rows: real windows, derived pointings, target counts."""
    point = pointings()
    rows = []
    for run in runs():
        p = point[run.code]
        rows.append(
            {
                "run_code": run.code,
                "run_type": run.run_type,
                "field": run.field,
                "t_start": to_mjd(run.start),
                "t_end": to_mjd(run.end),
                "date_start": run.start.replace(tzinfo=None),
                "date_end": run.end.replace(tzinfo=None),
                "duration": run.duration_days,
                "ra_center": p.ra,
                "dec_center": p.dec,
                "roll": p.roll,
                "n_exo_ccds": len(run.exo_ccds),
                "n_targets": (targets_per_run or {}).get(run.code, 0),
            }
        )
    return pa.Table.from_pylist(rows)


def ingest(
    store: DuckDBStore,
    products_dir: Path,
    paths: Iterable[Path],
    *,
    policy: AccessPolicy = AccessPolicy(),
    workers: int = 2,
    progress: bool = True,
) -> IngestReport:
    """Validate every input, then write all good ones in one transaction."""
    started = time.perf_counter()
    report = IngestReport()
    files, refused = _expand([Path(p) for p in paths])
    report.failures.extend(refused)
    fits_files = [f for f in files if f.suffix.lower() in FITS_SUFFIXES]
    catalogue_files = [f for f in files if f.suffix.lower() in CATALOGUE_SUFFIXES]

    by_product: dict[str, dict[str, Any]] = {}
    bar = tqdm(total=len(fits_files), unit="file", desc="validating", disable=not progress or not fits_files)
    if workers > 1 and len(fits_files) > 8:
        pool = ProcessPoolExecutor(max_workers=workers, initializer=_ignore_interrupts)
        try:
            starting = _InterruptHold()
            starting.hold()
            try:
                results = pool.map(_inspect_safely, fits_files, chunksize=8)  # forks the workers
            finally:
                starting.release()
            if starting.received:
                raise KeyboardInterrupt
            for path, (row, error) in zip(fits_files, results, strict=True):
                _collect(path, row, error, by_product, report)
                bar.update()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    else:
        for path in fits_files:
            row, error = _inspect_safely(path)
            _collect(path, row, error, by_product, report)
            bar.update()
    bar.close()
    product_rows = list(by_product.values())

    tables: dict[str, pa.Table] = {}
    for path in catalogue_files:
        checked = _catalogue_safely(store, path)
        if isinstance(checked, str):
            report.failures.append((str(path), checked))
            continue
        target, table = checked
        tables[target] = (
            pa.concat_tables([tables[target], table], promote_options="permissive") if target in tables else table
        )

    staged, interrupts = _Staged(), _InterruptHold()
    try:
        for row in product_rows:
            archived = staged.stage(Path(row.pop("source")), products_dir, _archive_relpath(row))
            row["file_path"] = str(archived.relative_to(products_dir))
            row["access_group"] = policy.group
            row["release_date"] = policy.release_date.replace(tzinfo=None) if policy.release_date else None
            row["ingested_at"] = datetime.now(UTC).replace(tzinfo=None)
        with store.transaction() as conn:
            for name, table in tables.items():
                meta = store.catalogue.table(name)
                report.rows[name] = store.upsert(conn, name, table, meta.primary_key)
            if product_rows:
                table = _conform(pa.Table.from_pylist(product_rows), store, "corot.lightcurves")
                report.rows["corot.lightcurves"] = store.upsert(conn, "corot.lightcurves", table, ["product_id"])
                report.products = len(product_rows)
            if "corot.targets" in tables or not _has_runs(conn):
                counts = dict(conn.execute(
                    'SELECT run_code, count(*) FROM "corot"."targets" GROUP BY run_code').fetchall())
                store.upsert(conn, "corot.runs", runs_rows(counts), ["run_code"])
            for name in ("corot.targets", "corot.lightcurves"):
                if name in report.rows:
                    store.recluster(conn, name)
            interrupts.hold()
            staged.publish()
        staged.created.clear()  # committed: the files belong to the archive now
    except BaseException:
        staged.discard()
        raise
    finally:
        interrupts.release()
    if interrupts.received:
        log.warning("interrupt received while committing: the ingest was completed")
    store.checkpoint()
    report.seconds = time.perf_counter() - started
    return report


class _DryRun(Exception):
    """Rolls back the trial write of a catalogue file."""


def _catalogue_safely(store: DuckDBStore, path: Path) -> tuple[str, pa.Table] | str:
    """The table a catalogue file feeds and its rows (conformed), or why the file is refused.

    The rows are written once in a transaction that is rolled back, so that a file whose
    values do not fit the declared columns is refused alone, with the reason.
    """
    try:
        table = _read_catalogue(path)
    except (pa.ArrowInvalid, OSError) as exc:
        return f"not a readable catalogue: {str(exc).splitlines()[0]}"
    target = _catalogue_target(table, store.catalogue)
    if target is None:
        return "columns match none of corot.targets, corot.runs, corot.datasets"
    if target == "corot.targets":
        table, problem = observation_ids(table)
        if problem:
            return problem
    try:
        table = _conform(table, store, target)
        with store.transaction() as conn:
            store.upsert(conn, target, table, store.catalogue.table(target).primary_key)
            raise _DryRun
    except _DryRun:
        pass
    except (duckdb.Error, pa.ArrowException, ValueError, TypeError) as exc:
        return f"values do not fit {target}: {str(exc).splitlines()[0]}"
    return target, table


def _has_runs(conn: Any) -> bool:
    return bool(conn.execute('SELECT count(*) FROM "corot"."runs"').fetchone()[0])


def _collect(
    path: Path, row: dict[str, Any] | None, error: str | None, rows: dict[str, dict[str, Any]], report: IngestReport
) -> None:
    if row is None:
        report.failures.append((str(path), error or "unreadable"))
        log.warning("skipped %s: %s", path, error)
        return
    first = rows.get(row["product_id"])
    if first is not None:
        report.failures.append((str(path), f"the same product as {first['source']}, ingested from there"))
    else:
        rows[row["product_id"]] = row


__all__ = ["AccessPolicy", "IngestReport", "ingest", "inspect_product", "observation_ids", "runs_rows"]
