"""Where the time of a request goes: per-stage times and end-to-end medians on the demo archive.

    python benchmarks/bench_stages.py [--data-dir DIR] [--rounds 3] [--repeat 40] [--seconds 5]

Uses the demo archive in ``--data-dir`` (generated there with ``corot-vo demo --size demo``
if absent: the 177,625-row observation log).  Each round has two phases, so that both see
the same machine load:

1. **stages, in process**: the service context is built as ``corot-vo serve`` builds it
   (store with its resident copies, TAP and cone start-up), and each stage of each request
   path is timed on its own: parameter parsing, ADQL parse / annotate / translate (and the
   plan-cache hit a repeated query gets), store execution, encoding; ``in-process`` is the
   whole request without HTTP (what the endpoint runs on its worker thread);
2. **end to end**: ``corot-vo serve`` in its own process, lean keep-alive clients
   (:mod:`serving`), one request at a time, then SCS with 8 concurrent clients.

``HTTP`` is the end-to-end median minus the in-process median: the ASGI stack, middleware,
the event loop/thread hand-offs and the socket.  ``server CPU`` is the CPU time the server
process (every thread, DuckDB's included) spent per answer, from /proc: unlike the
latencies it hardly depends on what else the machine runs.  Figures are medians over every round.
The TAP queries are the same text each time (a client repeating a query; the plan cache
answers after the first), and also with the position or ID varied per request
(``fresh``: parse, annotate and translate every time).  The cones are at random catalogue
positions.  DaCHS 2.7 on PostgreSQL 15 + pgSphere served the same observation log on this
kind of machine at about 67 ms (TAP by ID), 65 ms (TAP cone), 67 ms (GROUP BY), 18.5 ms
(SCS) and 51 req/s (SCS, 8 clients); the targets below are a tenth of its latencies and
five times its throughput.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import random
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from serving import ROOT, LoadResult, Server, load, start_server

#: Targets from the comparison with DaCHS (ms, or req/s for the throughput).
TARGETS_MS = {"tap-id": 4.0, "tap-cone": 6.0, "tap-groupby": 6.0, "scs": 2.0}
TARGET_RATE = 255.0
CONE_RADIUS = 0.1

Samples = dict[str, list[float]]


def ensure_archive(data_dir: Path) -> None:
    if (data_dir / "archive.duckdb").exists():
        return
    subprocess.run([sys.executable, "-m", "vo_service.cli", "--data-dir", str(data_dir), "demo", "--size", "demo"],
                   check=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})


def timed(samples: Samples, key: str, action: Callable[[], Any], repeat: int) -> Any:
    """Run ``action`` ``repeat`` times, appending each duration (ms) to ``samples[key]``."""
    result = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = action()
        samples[key].append((time.perf_counter() - started) * 1000)
    return result


def drain(chunks: Iterator[bytes]) -> int:
    return sum(len(chunk) for chunk in chunks)


class Workload:
    """The requests measured, drawn from the archive itself."""

    def __init__(self, data_dir: Path, seed: int = 7) -> None:
        import duckdb

        conn = duckdb.connect(str(data_dir / "archive.duckdb"), read_only=True)
        try:
            rows = conn.sql(
                "SELECT corot_id, ra, dec FROM corot.targets "
                "USING SAMPLE 1000 ROWS (reservoir, 1)").fetchall()
        finally:
            conn.close()
        rng = random.Random(seed)
        rng.shuffle(rows)
        self.rows = [(int(r[0]), float(r[1]), float(r[2])) for r in rows]
        corot_id, ra, dec = self.rows[0]
        self.tap = {
            "tap-id": self.by_id(corot_id),
            "tap-cone": self.cone(ra, dec),
            "tap-groupby": "SELECT run_code, channel, COUNT(*) AS n, AVG(vmag) AS mean_v FROM corot.targets "
                           "GROUP BY run_code, channel",
            "tap-100k": "SELECT TOP 100000 corot_id, run_code, ra, dec, vmag, bmag, rmag, spectral_type "
                        "FROM corot.targets",
        }
        self._fresh = 0

    @staticmethod
    def by_id(corot_id: int) -> str:
        return (f"SELECT corot_id, run_code, ra, dec, vmag, spectral_type FROM corot.targets "
                f"WHERE corot_id = {corot_id}")

    @staticmethod
    def cone(ra: float, dec: float) -> str:
        return (f"SELECT corot_id, run_code, ra, dec, vmag FROM corot.targets "
                f"WHERE 1 = CONTAINS(POINT('ICRS', ra, dec), CIRCLE('ICRS', {ra:.6f}, {dec:.6f}, {CONE_RADIUS}))")

    def fresh(self, kind: str) -> str:
        """A query of the kind with another ID or position each call (never in the plan cache)."""
        self._fresh += 1
        corot_id, ra, dec = self.rows[self._fresh % len(self.rows)]
        jitter = self._fresh * 1e-6
        return self.by_id(corot_id) if kind == "tap-id" else self.cone(ra + jitter, dec)

    def tap_params(self, query: str) -> dict[str, str]:
        params = {"REQUEST": "doQuery", "LANG": "ADQL", "QUERY": query}
        if "TOP 100000" in query:
            params["MAXREC"] = "100000"
        return params

    def scs_params(self, i: int) -> dict[str, str]:
        _, ra, dec = self.rows[i % len(self.rows)]
        return {"RA": f"{ra:.6f}", "DEC": f"{dec:.6f}", "SR": str(CONE_RADIUS)}


def tap_stages(ctx: Any, work: Workload, kind: str, query: str, n: int, samples: Samples) -> None:
    """The stages of one TAP query, each timed ``n`` times."""
    from tap.adql import annotate, parse, translate_duckdb
    from tap.execution import encode_result, run_batches
    from tap.params import query_request
    from tap.routes import TapService
    from tap.sync import _block, _prepare  # the endpoint's own worker-thread call
    from tap.uploads import is_upload, relation_name
    from vo_service.access import Viewer
    from vo_service.params import DaliParams

    viewer = Viewer()
    limits = ctx.settings.limits
    store = ctx.store
    plans = ctx.service(TapService).runtime.get().plans

    def relation(table: Any) -> str:
        return str(relation_name(table) if is_upload(table) else store.relation_sql(table, viewer))

    pairs = list(work.tap_params(query).items())
    request = timed(samples, f"{kind}/params", lambda: query_request(DaliParams(pairs), limits), n)
    tree = timed(samples, f"{kind}/parse", lambda: parse(query), n)
    annotated = timed(samples, f"{kind}/annotate", lambda: annotate(tree, ctx.catalogue), n)
    timed(samples, f"{kind}/translate", lambda: translate_duckdb(annotated, relation, limit=request.maxrec + 1), n)
    plan = plans.plan(query, ctx.catalogue, store, viewer, request.maxrec)
    timed(samples, f"{kind}/plan (cached)", lambda: plans.plan(query, ctx.catalogue, store, viewer, request.maxrec), n)
    batches = timed(samples, f"{kind}/execute", lambda: list(store.stream_sql(
        plan.sql, plan.params, batch_size=20_000, timeout=limits.sync_timeout_s)), n)
    list(run_batches(plan, store, timeout=limits.sync_timeout_s))
    timed(samples, f"{kind}/execute (memo)", lambda: list(run_batches(plan, store, timeout=limits.sync_timeout_s)), n)
    timed(samples, f"{kind}/encode", lambda: drain(encode_result(
        plan, request, iter(batches), datalink_url=f"{ctx.settings.base_url}/ssa/datalink")), n)

    def whole(text: str) -> int:
        tap_request = query_request(DaliParams(list(work.tap_params(text).items())), limits)
        first, chunks = _prepare(ctx, plans, viewer, tap_request, lambda name: None)
        size = len(first)
        while (block := _block(chunks)) is not None:
            size += len(block)
        return size

    timed(samples, f"{kind}/in-process", lambda: whole(query), n)
    if kind in ("tap-id", "tap-cone"):
        timed(samples, f"{kind} fresh/in-process", lambda: whole(work.fresh(kind)), n)


def stage_round(data_dir: Path, work: Workload, repeat: int, samples: Samples) -> None:
    """Phase 1: each stage of each request path, in process."""
    from cone.query import cone_query, output_batches
    from cone.routes import ConeSearch
    from tap.routes import TapService
    from vo_service.access import Viewer
    from vo_service.app import build_context, start_services, stop_services
    from vo_service.params import DaliParams
    from vo_service.settings import Settings

    settings = Settings(data_dir=data_dir, log_level="WARNING")
    ctx = build_context(settings, [TapService(), ConeSearch()])
    try:
        start_services(ctx)
        viewer = Viewer()
        limits = settings.limits
        store = ctx.store
        for kind, query in work.tap.items():
            tap_stages(ctx, work, kind, query, max(3, repeat // 8) if kind == "tap-100k" else repeat, samples)

        service = ctx.service(ConeSearch).runtime.get()
        endpoint = service.endpoints["targets"]
        counter = iter(range(10**9))

        def scs_params() -> DaliParams:
            return DaliParams(work.scs_params(next(counter)).items())

        cone_request = timed(samples, "scs/params", lambda: service.parse(scs_params()), repeat)
        columns = endpoint.column_sets[cone_request.verb]

        def select() -> list[Any]:
            query = cone_query(endpoint, service.parse(scs_params()))
            return list(store.select(query, viewer, batch_size=limits.batch_rows))

        timed(samples, "scs/execute", select, repeat)
        stored = select()
        template = service.template("targets", cone_request.verb, cone_request.output.encoding)
        timed(samples, "scs/encode", lambda: drain(template.stream(
            output_batches(iter(stored), columns, service.profile, service.did),
            max_records=cone_request.maxrec)), repeat)
        timed(samples, "scs/in-process",
              lambda: drain(service.respond(store, viewer, "targets", scs_params())[0]), repeat)
    finally:
        stop_services(ctx)


def cpu_ms(pid: int) -> float:
    """CPU time (user + system, every thread) a process has used so far, in ms."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def measured(server: Server, paths: list[str], key: str, samples: Samples, **options: Any) -> LoadResult:
    """:func:`serving.load`, noting the server's CPU time per answer under ``key``."""
    before = cpu_ms(server.process.pid)
    result = load(server, paths, **options)
    if result.done:
        samples[key].append((cpu_ms(server.process.pid) - before) / result.done)
    return result


def http_round(data_dir: Path, work: Workload, repeat: int, seconds: float, clients: int,
               samples: Samples, rates: list[float]) -> None:
    """Phase 2: the real server, one client, then SCS under ``clients`` concurrent clients."""
    server: Server = start_server(data_dir, {"LOG_LEVEL": "INFO"})
    try:
        # the first TAP query a fresh server answers (a user arriving right after start)
        first = load(server, ["/tap/sync?" + urlencode(work.tap_params(work.fresh("tap-id")))], clients=1,
                     seconds=60, requests_per_client=1)
        samples["tap first after start/http"].extend(first.latencies_ms)
        every = ["/tap/sync?" + urlencode(work.tap_params(q)) for k, q in work.tap.items() if k != "tap-100k"]
        load(server, every + ["/scs/scs.xml?" + urlencode(work.scs_params(i)) for i in range(20)],
             clients=1, seconds=3)  # start-up work of the server settles
        for kind, query in work.tap.items():
            n = max(3, repeat // 8) if kind == "tap-100k" else repeat
            path = "/tap/sync?" + urlencode(work.tap_params(query))
            load(server, [path], clients=1, seconds=30, requests_per_client=3)  # warm-up, fills the plan cache
            result = measured(server, [path], f"{kind}/cpu", samples, clients=1, seconds=60, requests_per_client=n)
            assert result.errors == 0, f"{kind}: {result.errors} errors"
            samples[f"{kind}/http"].extend(result.latencies_ms)
            if kind in ("tap-id", "tap-cone"):
                fresh = ["/tap/sync?" + urlencode(work.tap_params(work.fresh(kind))) for _ in range(n)]
                result = measured(server, fresh, f"{kind} fresh/cpu", samples, clients=1, seconds=60,
                                  requests_per_client=n)
                samples[f"{kind} fresh/http"].extend(result.latencies_ms)
        scs = ["/scs/scs.xml?" + urlencode(work.scs_params(i)) for i in range(len(work.rows))]
        load(server, scs, clients=1, seconds=10, requests_per_client=50)
        single = measured(server, scs, "scs/cpu", samples, clients=1, seconds=60, requests_per_client=repeat * 5)
        assert single.errors == 0
        samples["scs/http"].extend(single.latencies_ms)
        busy = measured(server, scs, "scs 8 clients/cpu", samples, clients=clients, seconds=seconds)
        assert busy.errors == 0
        rates.append(busy.rate)
        samples["scs 8 clients/http"].extend(busy.latencies_ms)
    finally:
        server.stop()


def median(samples: Samples, key: str) -> float:
    values = samples.get(key)
    return statistics.median(values) if values else float("nan")


def report(samples: Samples, rates: list[float], clients: int) -> None:
    print("medians in ms per request path and stage; HTTP = end to end - in-process")
    paths = [("tap-id", "TAP lookup by ID"), ("tap-id fresh", "  the same, another ID each time"),
             ("tap-cone", "TAP 0.1 deg cone (CONTAINS)"), ("tap-cone fresh", "  the same, another position each time"),
             ("tap first after start", "TAP by ID, first query after start"),
             ("tap-groupby", "TAP GROUP BY over corot.targets"), ("tap-100k", "TAP 100k rows as VOTable (BINARY2)"),
             ("scs", "SCS 0.1 deg cone")]
    stages = ["params", "parse", "annotate", "translate", "plan (cached)", "execute", "execute (memo)", "encode",
              "in-process"]
    print(f"{'request path':40s}" + "".join(f"{s:>15s}" for s in [*stages, "HTTP", "end to end", "server CPU"])
          + "   target")
    for key, label in paths:
        cells = [median(samples, f"{key}/{stage}") for stage in stages]
        total = median(samples, f"{key}/http")
        http = total - cells[-1]
        target = TARGETS_MS.get(key)
        verdict = "" if target is None else f"   < {target:g} ms {'ok' if total < target else 'SLOW'}"
        cpu = median(samples, f"{key}/cpu")
        figures = "".join(f"{c:15.3f}" if not math.isnan(c) else f"{'':15s}" for c in [*cells, http, total, cpu])
        print(f"{label:40s}{figures}{verdict}")
    rate = statistics.median(rates) if rates else float("nan")
    print(f"SCS 0.1 deg, {clients} concurrent clients: {rate:.0f} req/s (median of {len(rates)} runs "
          f"{', '.join(f'{r:.0f}' for r in rates)}; latency median {median(samples, 'scs 8 clients/http'):.1f} ms, "
          f"server CPU {median(samples, 'scs 8 clients/cpu'):.2f} ms per answer)"
          f"   > {TARGET_RATE:g} req/s {'ok' if rate > TARGET_RATE else 'SLOW'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=ROOT / "data", help="the demo archive (made if absent)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=40, help="requests per measure and round")
    parser.add_argument("--seconds", type=float, default=5.0, help="duration of each throughput run")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--only", choices=["stages", "http"], help="run one phase only")
    parser.add_argument("--save", type=Path, help="add this run's samples to a JSON file (for interleaved runs)")
    parser.add_argument("--report", type=Path, help="print the figures of a JSON file of samples and exit")
    args = parser.parse_args()
    if args.report is not None:
        saved = json.loads(args.report.read_text())
        report(defaultdict(list, saved["samples"]), saved["rates"], args.clients)
        return
    ensure_archive(args.data_dir)
    work = Workload(args.data_dir)
    samples: Samples = defaultdict(list)
    rates: list[float] = []
    gc.collect()
    for round_ in range(args.rounds):
        started = time.perf_counter()
        if args.only != "http":
            stage_round(args.data_dir, work, args.repeat, samples)
        if args.only != "stages":
            http_round(args.data_dir, work, args.repeat, args.seconds, args.clients, samples, rates)
        print(f"round {round_ + 1}/{args.rounds} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    if args.save is not None:
        saved = json.loads(args.save.read_text()) if args.save.exists() else {"samples": {}, "rates": []}
        for key, values in samples.items():
            saved["samples"].setdefault(key, []).extend(values)
        saved["rates"].extend(rates)
        args.save.write_text(json.dumps(saved))
    report(samples, rates, args.clients)


if __name__ == "__main__":
    main()
