"""Service settings: defaults, overridden by a TOML file, overridden by environment variables.

Nothing reads settings at import time; :func:`load_settings` is called by the CLI and the
ASGI entry point, and tests build :class:`Settings` directly.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

ENV_PREFIX = "COROT_VO_"


class Limits(BaseModel):
    """Resource limits an operator tunes to the machine."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    maxrec_default: int = 20_000
    maxrec_hard: int = 10_000_000
    sync_timeout_s: float = 60.0
    async_duration_default_s: int = 600
    async_duration_max_s: int = 7_200
    job_destruction_days: int = 7
    upload_max_bytes: int = 32 * 1024 * 1024
    upload_max_rows: int = 200_000
    max_concurrent_queries: int = 16
    worker_threads: int = 2
    #: threads answering short CPU-bound requests (cone, SSA); more only adds GIL contention.
    cpu_lane_threads: int = Field(default=2, ge=1, le=64)
    batch_rows: int = 20_000
    #: positional tables up to this many rows are held in memory for cone searches
    #: (about 230 MB per million rows of corot.targets); 0 keeps every table on disk.
    resident_rows: int = 2_000_000
    #: what one request may carry (vo_service.params): parameters in the query string and
    #: form together (pyvo POSTs every ID of a result table to DataLink at once) ...
    request_max_fields: int = Field(default=100_000, ge=1)
    #: ... bytes of one parameter value, bytes of a POSTed form besides its uploaded files,
    #: and uploaded files per request (their bytes: upload_max_bytes) ...
    request_max_value_bytes: int = Field(default=4 * 1024 * 1024, ge=1024)
    request_max_form_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    request_max_files: int = Field(default=64, ge=0)
    #: ... and bytes of the request line and headers: the longest GET URL served.
    request_max_head_bytes: int = Field(default=1024 * 1024, ge=16 * 1024)


class Settings(BaseModel):
    """Everything the service needs to run; frozen once built."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    base_url: str = "http://127.0.0.1:8000"
    data_dir: Path = Path("data")
    authority: str = "corot.vo"
    title: str = "CoRoT VO"
    #: published in the registry records and OAI-PMH Identify; set the operators' address.
    contact_email: str = "corot-vo@example.org"
    log_level: str = "INFO"
    log_json: bool = True
    #: users and groups for the access layer: {"user": {"token": "...", "groups": ["corot-coi"]}}
    users: dict[str, dict[str, Any]] = Field(default_factory=dict)
    limits: Limits = Field(default_factory=Limits)

    @field_validator("base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("authority")
    @classmethod
    def _bare_authority(cls, value: str) -> str:
        return value.removeprefix("ivo://").strip("/")

    # Paths derived from data_dir ------------------------------------------------------
    @property
    def database_path(self) -> Path:
        return self.data_dir / "archive.duckdb"

    @property
    def products_dir(self) -> Path:
        return self.data_dir / "products"

    @property
    def jobs_path(self) -> Path:
        return self.data_dir / "jobs.sqlite"

    @property
    def results_dir(self) -> Path:
        return self.data_dir / "results"

    @property
    def hips_dir(self) -> Path:
        return self.data_dir / "hips"

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"

    @property
    def ivo_prefix(self) -> str:
        """The IVOA identifier prefix of this publisher, e.g. ``ivo://corot.vo``."""
        return f"ivo://{self.authority}"


def _env_overrides(environ: Mapping[str, str]) -> dict[str, Any]:
    """``COROT_VO_BASE_URL`` → base_url; ``COROT_VO_LIMITS__MAXREC_DEFAULT`` → limits."""
    result: dict[str, Any] = {}
    for key, value in environ.items():
        if not key.startswith(ENV_PREFIX):
            continue
        path = key[len(ENV_PREFIX) :].lower().split("__")
        target = result
        for part in path[:-1]:
            target = target.setdefault(part, {})
        target[path[-1]] = value
    return result


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_settings(
    config_file: Path | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Build settings from an optional TOML file and the environment (env wins)."""
    environ = os.environ if environ is None else environ
    data: dict[str, Any] = {}
    path = config_file or (Path(environ[f"{ENV_PREFIX}CONFIG"]) if f"{ENV_PREFIX}CONFIG" in environ else None)
    if path is not None:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    data = _merge(data, _env_overrides(environ))
    data.pop("config", None)
    return Settings.model_validate(data)


__all__ = ["ENV_PREFIX", "Limits", "Settings", "load_settings"]
