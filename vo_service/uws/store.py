"""Persistence of UWS jobs: a :class:`JobStore` protocol and its implementations.

The store only records what the service decides; it knows nothing of the phase rules
except the compare-and-set in :meth:`JobStore.save`, which lets the service change a
job only if nobody changed its phase in between (an ABORT racing a worker finishing).

* :class:`SqliteJobStore` keeps jobs, parameters, result metadata and error summaries in
  one SQLite file (WAL mode) under the data directory, so they survive a restart.
* :class:`MemoryJobStore` does the same in a dictionary, for tests and throw-away use.
* :class:`JobFiles` lays out the files of each job (result payloads, the error
  document, inline parameter uploads) under the results directory.
"""

from __future__ import annotations

import shutil
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol, runtime_checkable

from vo_models.uws.types import ErrorType, ExecutionPhase

from vo_service.uws.models import (
    ErrorInfo,
    Job,
    JobParameter,
    JobParameters,
    JobRef,
    ResultInfo,
    is_safe_identifier,
    utc,
)


@dataclass(frozen=True)
class JobFilter:
    """Which jobs a job-list request selects (UWS 1.1 §2.2.2.1).

    ``owner`` ``None`` selects the anonymous jobs; ``phases`` ``None`` selects every
    phase; ``after`` keeps jobs created strictly later; ``last`` keeps the N most
    recently created.  Results come newest first.
    """

    job_type: str
    owner: str | None
    phases: frozenset[ExecutionPhase] | None = None
    after: datetime | None = None
    last: int | None = None


@runtime_checkable
class JobStore(Protocol):
    """What the job service needs from a persistence layer; all methods are thread-safe."""

    def add(self, job: Job) -> None:
        """Record a new job (with its parameters)."""

    def get(self, job_id: str) -> Job | None:
        """The job with its parameters, results and error, or ``None``."""

    def save(self, job: Job, *, expected_phase: ExecutionPhase | None = None) -> bool:
        """Replace the stored job by ``job``.

        With ``expected_phase``, only if the stored job is still in that phase; returns
        False (changing nothing) if it is not, or if the job no longer exists.
        """

    def delete(self, job_id: str) -> bool:
        """Forget a job; False if there was none."""

    def list_jobs(self, query: JobFilter) -> list[JobRef]:
        """The jobs ``query`` selects, newest first."""

    def ids_in_phases(self, phases: Iterable[ExecutionPhase]) -> list[str]:
        """Identifiers of all jobs (of any type and owner) in one of ``phases``."""

    def expired_ids(self, now: datetime) -> list[str]:
        """Identifiers of jobs whose destruction time is at or before ``now``."""

    def close(self) -> None:
        """Release the store's resources."""


def _matches(job: Job, query: JobFilter) -> bool:
    return (
        job.job_type == query.job_type
        and job.owner == query.owner
        and (query.phases is None or job.phase in query.phases)
        and (query.after is None or job.creation_time > utc(query.after))
    )


class MemoryJobStore:
    """A :class:`JobStore` in a dictionary: nothing survives the process."""

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def add(self, job: Job) -> None:
        with self._lock:
            if job.job_id in self._jobs:
                raise ValueError(f"job {job.job_id} already exists")
            self._jobs[job.job_id] = job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def save(self, job: Job, *, expected_phase: ExecutionPhase | None = None) -> bool:
        with self._lock:
            current = self._jobs.get(job.job_id)
            if current is None or (expected_phase is not None and current.phase is not expected_phase):
                return False
            self._jobs[job.job_id] = job
            return True

    def delete(self, job_id: str) -> bool:
        with self._lock:
            return self._jobs.pop(job_id, None) is not None

    def list_jobs(self, query: JobFilter) -> list[JobRef]:
        with self._lock:
            jobs = [job for job in self._jobs.values() if _matches(job, query)]
        jobs.sort(key=lambda job: (job.creation_time, job.job_id), reverse=True)
        if query.last is not None:
            jobs = jobs[: query.last]
        return [job.ref for job in jobs]

    def ids_in_phases(self, phases: Iterable[ExecutionPhase]) -> list[str]:
        wanted = set(phases)
        with self._lock:
            return [job.job_id for job in self._jobs.values() if job.phase in wanted]

    def expired_ids(self, now: datetime) -> list[str]:
        limit = utc(now)
        with self._lock:
            return [
                job.job_id for job in self._jobs.values() if job.destruction is not None and job.destruction <= limit
            ]

    def close(self) -> None:
        with self._lock:
            self._jobs.clear()


_SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    job_id TEXT PRIMARY KEY,
    job_type TEXT NOT NULL,
    owner TEXT,
    run_id TEXT,
    phase TEXT NOT NULL,
    creation_time TEXT NOT NULL,
    start_time TEXT,
    end_time TEXT,
    quote TEXT,
    execution_duration INTEGER NOT NULL,
    destruction TEXT,
    error_type TEXT,
    error_message TEXT,
    error_detail_type TEXT
);
CREATE INDEX IF NOT EXISTS jobs_by_owner ON jobs (job_type, owner, creation_time);
CREATE INDEX IF NOT EXISTS jobs_by_phase ON jobs (phase);
CREATE INDEX IF NOT EXISTS jobs_by_destruction ON jobs (destruction);
CREATE TABLE IF NOT EXISTS job_parameters (
    job_id TEXT NOT NULL REFERENCES jobs (job_id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    by_reference INTEGER NOT NULL,
    PRIMARY KEY (job_id, position)
);
CREATE TABLE IF NOT EXISTS job_results (
    job_id TEXT NOT NULL REFERENCES jobs (job_id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    result_id TEXT NOT NULL,
    mime_type TEXT NOT NULL,
    size INTEGER,
    row_count INTEGER,
    href TEXT,
    PRIMARY KEY (job_id, position)
);
"""

_JOB_COLUMNS = (
    "job_id, job_type, owner, run_id, phase, creation_time, start_time, end_time, quote, "
    "execution_duration, destruction, error_type, error_message, error_detail_type"
)


def _time_text(value: datetime | None) -> str | None:
    """Fixed-width UTC text, so that SQL string order is time order."""
    return None if value is None else utc(value).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _time_value(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text).astimezone(UTC)


def _job_row(job: Job) -> tuple[object, ...]:
    error = job.error
    return (
        job.job_id,
        job.job_type,
        job.owner,
        job.run_id,
        job.phase.value,
        _time_text(job.creation_time),
        _time_text(job.start_time),
        _time_text(job.end_time),
        _time_text(job.quote),
        job.execution_duration,
        _time_text(job.destruction),
        None if error is None else error.error_type.value,
        None if error is None else error.message,
        None if error is None else error.detail_media_type,
    )


class SqliteJobStore:
    """A :class:`JobStore` in one SQLite file, shared by the request and worker threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30.0)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        with self._transaction() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version not in (0, _SCHEMA_VERSION):
                raise RuntimeError(f"{path} has job schema version {version}, expected {_SCHEMA_VERSION}")
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
            db.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _write_children(self, db: sqlite3.Connection, job: Job) -> None:
        db.execute("DELETE FROM job_parameters WHERE job_id = ?", (job.job_id,))
        db.executemany(
            "INSERT INTO job_parameters (job_id, position, name, value, by_reference) VALUES (?, ?, ?, ?, ?)",
            [
                (job.job_id, position, item.name, item.value, int(item.by_reference))
                for position, item in enumerate(job.parameters)
            ],
        )
        db.execute("DELETE FROM job_results WHERE job_id = ?", (job.job_id,))
        db.executemany(
            "INSERT INTO job_results (job_id, position, result_id, mime_type, size, row_count, href) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (job.job_id, position, item.result_id, item.mime_type, item.size, item.rows, item.href)
                for position, item in enumerate(job.results)
            ],
        )

    def add(self, job: Job) -> None:
        with self._transaction() as db:
            db.execute(f"INSERT INTO jobs ({_JOB_COLUMNS}) VALUES ({', '.join('?' * 14)})", _job_row(job))
            self._write_children(db, job)

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            row = self._db.execute(f"SELECT {_JOB_COLUMNS} FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
            if row is None:
                return None
            parameters = self._db.execute(
                "SELECT name, value, by_reference FROM job_parameters WHERE job_id = ? ORDER BY position",
                (job_id,),
            ).fetchall()
            results = self._db.execute(
                "SELECT result_id, mime_type, size, row_count, href FROM job_results "
                "WHERE job_id = ? ORDER BY position",
                (job_id,),
            ).fetchall()
        job = _job_from_row(row)
        return replace(
            job,
            parameters=JobParameters(
                tuple(JobParameter(name, value, bool(by_ref)) for name, value, by_ref in parameters)
            ),
            results=tuple(
                ResultInfo(result_id, mime_type, size=size, rows=rows, href=href)
                for result_id, mime_type, size, rows, href in results
            ),
        )

    def save(self, job: Job, *, expected_phase: ExecutionPhase | None = None) -> bool:
        row = _job_row(job)
        assignments = ", ".join(f"{name.strip()} = ?" for name in _JOB_COLUMNS.split(",")[1:])
        sql = f"UPDATE jobs SET {assignments} WHERE job_id = ?"
        arguments: list[object] = [*row[1:], job.job_id]
        if expected_phase is not None:
            sql += " AND phase = ?"
            arguments.append(expected_phase.value)
        with self._transaction() as db:
            if db.execute(sql, arguments).rowcount == 0:
                return False
            self._write_children(db, job)
        return True

    def delete(self, job_id: str) -> bool:
        with self._transaction() as db:
            return db.execute("DELETE FROM jobs WHERE job_id = ?", (job_id,)).rowcount > 0

    def list_jobs(self, query: JobFilter) -> list[JobRef]:
        sql = "SELECT job_id, phase, owner, creation_time, run_id FROM jobs WHERE job_type = ?"
        arguments: list[object] = [query.job_type]
        if query.owner is None:
            sql += " AND owner IS NULL"
        else:
            sql += " AND owner = ?"
            arguments.append(query.owner)
        if query.phases is not None:
            phases = sorted(phase.value for phase in query.phases)
            sql += f" AND phase IN ({', '.join('?' * len(phases))})"
            arguments.extend(phases)
        if query.after is not None:
            sql += " AND creation_time > ?"
            arguments.append(_time_text(query.after))
        sql += " ORDER BY creation_time DESC, job_id DESC"
        if query.last is not None:
            sql += " LIMIT ?"
            arguments.append(query.last)
        with self._lock:
            rows = self._db.execute(sql, arguments).fetchall()
        return [
            JobRef(job_id, ExecutionPhase(phase), owner, _required_time(created), run_id)
            for job_id, phase, owner, created, run_id in rows
        ]

    def ids_in_phases(self, phases: Iterable[ExecutionPhase]) -> list[str]:
        values = sorted({phase.value for phase in phases})
        if not values:
            return []
        with self._lock:
            rows = self._db.execute(
                f"SELECT job_id FROM jobs WHERE phase IN ({', '.join('?' * len(values))})", values
            ).fetchall()
        return [job_id for (job_id,) in rows]

    def expired_ids(self, now: datetime) -> list[str]:
        with self._lock:
            rows = self._db.execute(
                "SELECT job_id FROM jobs WHERE destruction IS NOT NULL AND destruction <= ?",
                (_time_text(now),),
            ).fetchall()
        return [job_id for (job_id,) in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _required_time(text: str) -> datetime:
    value = _time_value(text)
    assert value is not None
    return value


def _job_from_row(row: tuple[object, ...]) -> Job:
    (
        job_id,
        job_type,
        owner,
        run_id,
        phase,
        creation_time,
        start_time,
        end_time,
        quote,
        execution_duration,
        destruction,
        error_type,
        error_message,
        error_detail_type,
    ) = row
    error = None
    if error_type is not None:
        error = ErrorInfo(
            ErrorType(str(error_type)),
            str(error_message or ""),
            None if error_detail_type is None else str(error_detail_type),
        )
    return Job(
        job_id=str(job_id),
        job_type=str(job_type),
        owner=None if owner is None else str(owner),
        phase=ExecutionPhase(str(phase)),
        creation_time=_required_time(str(creation_time)),
        execution_duration=int(str(execution_duration)),
        destruction=_time_value(None if destruction is None else str(destruction)),
        run_id=None if run_id is None else str(run_id),
        quote=_time_value(None if quote is None else str(quote)),
        start_time=_time_value(None if start_time is None else str(start_time)),
        end_time=_time_value(None if end_time is None else str(end_time)),
        error=error,
    )


class JobFiles:
    """The on-disk area of each job under ``root``: ``<root>/<job_id>/...``.

    ``results/<result_id>`` holds result payloads, ``error`` the error document and
    ``parameters/<name>`` inline uploads.  Removing a job removes its whole directory.
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    def job_dir(self, job_id: str) -> Path:
        if not is_safe_identifier(job_id):
            raise ValueError(f"unsafe job identifier {job_id!r}")
        return self.root / job_id

    def results_dir(self, job_id: str) -> Path:
        return self.job_dir(job_id) / "results"

    def result_path(self, job_id: str, result_id: str) -> Path:
        if not is_safe_identifier(result_id):
            raise ValueError(f"unsafe result identifier {result_id!r}")
        return self.results_dir(job_id) / result_id

    def error_path(self, job_id: str) -> Path:
        return self.job_dir(job_id) / "error"

    def parameters_dir(self, job_id: str) -> Path:
        return self.job_dir(job_id) / "parameters"

    def parameter_path(self, job_id: str, name: str) -> Path:
        if not is_safe_identifier(name):
            raise ValueError(f"unsafe parameter name {name!r}")
        return self.parameters_dir(job_id) / name

    def remove(self, job_id: str) -> None:
        shutil.rmtree(self.job_dir(job_id), ignore_errors=True)

    def job_ids_on_disk(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return [entry.name for entry in self.root.iterdir() if entry.is_dir() and is_safe_identifier(entry.name)]


__all__ = ["JobFiles", "JobFilter", "JobStore", "MemoryJobStore", "SqliteJobStore"]
