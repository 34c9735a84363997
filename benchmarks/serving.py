"""The server under test and a lean load generator, shared by the benchmarks.

The server is the real thing: ``corot-vo serve`` in its own process (settings through the
``COROT_VO_*`` environment), so that client work never competes with it for the GIL.  The
clients are keep-alive HTTP/1.1 connections written directly on asyncio streams: a figure
then measures the server rather than a client library.
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """A ``corot-vo serve`` process on 127.0.0.1."""

    process: subprocess.Popen[bytes]
    base: str

    @property
    def host_port(self) -> tuple[str, int]:
        host, port = self.base.removeprefix("http://").split(":")
        return host, int(port)

    def rss_mib(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_server(data_dir: Path, settings: Mapping[str, str] | None = None, timeout: float = 120.0) -> Server:
    """Serve ``data_dir``; ``settings`` are ``COROT_VO_*`` variables without the prefix.

    Logs go to /dev/null at the configured level, so their formatting cost is measured but
    no disk is involved.
    """
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.update({f"COROT_VO_{name}": value for name, value in (settings or {}).items()})
    process = subprocess.Popen(
        [sys.executable, "-m", "vo_service.cli", "--data-dir", str(data_dir), "serve", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    server = Server(process, f"http://127.0.0.1:{port}")
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with status {process.returncode}")
        try:
            if httpx.get(f"{server.base}/health", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.stop()
    raise RuntimeError("the server did not start")


@dataclass
class LoadResult:
    """What a load run saw: answers, bytes, errors, per-request latencies (ms), duration."""

    done: int = 0
    size: int = 0
    errors: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return self.done / self.seconds if self.seconds else 0.0

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")

    @property
    def median(self) -> float:
        return statistics.median(self.latencies_ms) if self.latencies_ms else float("nan")


async def _connection(host: str, port: int, paths: Sequence[str], deadline: float, limit: int | None,
                      seed: int, result: LoadResult) -> None:
    """One keep-alive connection issuing GETs back to back until the deadline or limit."""
    rng = random.Random(seed)
    reader, writer = await asyncio.open_connection(host, port)
    sent = 0
    try:
        while time.perf_counter() < deadline and (limit is None or sent < limit):
            path = rng.choice(paths)
            started = time.perf_counter()
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nOrigin: http://bench\r\n\r\n".encode())
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            body = await _body(reader, head)
            result.latencies_ms.append((time.perf_counter() - started) * 1000)
            sent += 1
            if status == 200:
                result.done += 1
                result.size += len(body)
            else:
                result.errors += 1
    finally:
        writer.close()


async def _body(reader: asyncio.StreamReader, head: bytes) -> bytes:
    """The body after ``head``: Content-Length or chunked transfer coding."""
    lines = [line.lower() for line in head.split(b"\r\n")]
    for line in lines:
        if line.startswith(b"content-length:"):
            return await reader.readexactly(int(line.split(b":", 1)[1]))
    if b"transfer-encoding: chunked" in lines:
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            parts.append(await reader.readexactly(size + 2))
            if size == 0:
                return b"".join(parts)
    raise RuntimeError("a response without a length")


def load(server: Server, paths: Sequence[str], *, clients: int, seconds: float,
         requests_per_client: int | None = None) -> LoadResult:
    """``clients`` concurrent connections asking for random ``paths`` for ``seconds``."""
    host, port = server.host_port
    result = LoadResult()

    async def run() -> None:
        deadline = time.perf_counter() + seconds
        await asyncio.gather(*(_connection(host, port, paths, deadline, requests_per_client, i, result)
                               for i in range(clients)))

    started = time.perf_counter()
    asyncio.run(run())
    result.seconds = time.perf_counter() - started
    return result


__all__ = ["ROOT", "LoadResult", "Server", "free_port", "load", "start_server"]
