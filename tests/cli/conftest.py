"""The real ``corot-vo`` command line in subprocesses, and real ``corot-vo serve`` servers."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]


def cli_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a CLI subprocess: this checkout's code, no inherited settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COROT_VO_")}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra or {})
    return env


def run_cli(*args: str, env: Mapping[str, str] | None = None, cwd: Path | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``corot-vo ARGS`` to completion."""
    return subprocess.run([sys.executable, "-m", "vo_service.cli", *args], env=cli_env(env), cwd=cwd,
                          capture_output=True, text=True, timeout=timeout, check=False)


def one_line(stderr: str) -> str:
    """The single line of a failed command's stderr (and never a traceback)."""
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    return lines[0]


@dataclass
class Server:
    """A ``corot-vo serve`` process on 127.0.0.1 (stderr kept in a file)."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stderr(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def start_server(data_dir: Path, *args: str, config: Path | None = None, timeout: float = 90) -> Server:
    """``corot-vo serve`` on a free port of 127.0.0.1, once ``/health`` answers."""
    port = free_port()
    log = data_dir.parent / f"serve-{port}.log"
    command = [sys.executable, "-m", "vo_service.cli", "--data-dir", str(data_dir)]
    command += ["--config", str(config)] if config else []
    command += ["serve", "--host", "127.0.0.1", "--port", str(port), *args]
    with log.open("wb") as sink:
        process = subprocess.Popen(command, env=cli_env({"COROT_VO_LOG_JSON": "false"}), stdout=sink,
                                   stderr=subprocess.STDOUT)
    server = Server(process, port, log)
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"corot-vo serve exited with status {process.returncode}: {server.stderr()}")
        try:
            if httpx.get(f"{server.base}/health", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"corot-vo serve did not answer within {timeout} s: {server.stderr()}")


@pytest.fixture
def serving() -> Iterator[list[Server]]:
    """Servers a test starts are stopped at its end."""
    servers: list[Server] = []
    yield servers
    for server in servers:
        server.stop()


def copy_products(archive_dir: Path, target: Path, count: int) -> list[Path]:
    """``count`` N2 products of the test archive, copied flat into ``target``."""
    target.mkdir(parents=True, exist_ok=True)
    sources: Sequence[Path] = sorted((archive_dir / "products" / "N2-4.4").rglob("*.fits"))[:count]
    assert len(sources) == count
    return [Path(shutil.copy2(source, target / source.name)) for source in sources]
