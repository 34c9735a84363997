"""End to end: parse → annotate → translate → run on DuckDB, checked against Python.

Each case computes its expectation from the rows the fixture inserted, without SQL.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import numpy as np
import pytest

from tap.adql import AdqlError
from tests.adql.conftest import Archive, Runner, compile_query
from vo_service.access import Viewer

Rows = list[tuple[Any, ...]]


def f32(value: float | None) -> Any:
    return None if value is None else float(np.float32(value))


def targets(archive: Archive) -> list[dict[str, Any]]:
    return archive.records("corot.targets")


def runs(archive: Archive) -> list[dict[str, Any]]:
    return archive.records("corot.runs")


def lightcurves(archive: Archive, public_only: bool = True) -> list[dict[str, Any]]:
    rows = archive.records("corot.lightcurves")
    return [r for r in rows if r["access_group"] == "public"] if public_only else rows


def null_vmag_ids(archive: Archive) -> set[int]:
    return {t["corot_id"] for t in targets(archive) if t["vmag"] is None}


def left_join_rows(archive: Archive) -> int:
    """Rows of targets LEFT JOIN public light curves on (corot_id, run_code)."""
    matches = Counter((lc["corot_id"], lc["run_code"]) for lc in lightcurves(archive))
    return sum(max(1, matches[(t["corot_id"], t["run_code"])]) for t in targets(archive))


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None:
            return a is b
        if math.isnan(a) and math.isnan(b):
            return True
        return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _key(row: Sequence[Any]) -> tuple[Any, ...]:
    return tuple((v is None, round(v, 6) if isinstance(v, float) else v) for v in row)


def assert_rows(actual: Rows, expected: Rows, ordered: bool) -> None:
    assert len(actual) == len(expected), (len(actual), len(expected), actual[:5], expected[:5])
    if not ordered:
        actual, expected = sorted(actual, key=_key), sorted(expected, key=_key)
    for got, want in zip(actual, expected, strict=True):
        assert _close(tuple(got), tuple(want)), (got, want)


def rows_of(table: Any) -> Rows:
    return [tuple(r.values()) for r in table.to_pylist()]


Expect = Callable[[Archive], Rows]

CASES: list[tuple[str, Expect, bool]] = [
    (
        "SELECT TOP 7 corot_id, vmag FROM corot.targets WHERE vmag IS NOT NULL ORDER BY vmag DESC, corot_id",
        lambda a: sorted(
            ((t["corot_id"], f32(t["vmag"])) for t in targets(a) if t["vmag"] is not None), key=lambda r: (-r[1], r[0])
        )[:7],
        True,
    ),
    (
        "SELECT corot_id FROM corot.targets WHERE vmag BETWEEN 8 AND 8.5",
        lambda a: [(t["corot_id"],) for t in targets(a) if t["vmag"] is not None and 8 <= f32(t["vmag"]) <= 8.5],
        False,
    ),
    (
        "SELECT COUNT(*) FROM corot.targets WHERE vmag NOT BETWEEN 8 AND 15",
        lambda a: [(sum(1 for t in targets(a) if t["vmag"] is not None and not 8 <= f32(t["vmag"]) <= 15),)],
        True,
    ),
    (
        "SELECT COUNT(*) AS n, COUNT(vmag), COUNT(DISTINCT run_code) FROM corot.targets",
        lambda a: [
            (len(targets(a)), sum(t["vmag"] is not None for t in targets(a)), len({t["run_code"] for t in targets(a)}))
        ],
        True,
    ),
    (
        "SELECT run_code, COUNT(*) AS n FROM corot.targets WHERE run_code IN ('LRa01', 'LRc01', 'nope') "
        "GROUP BY run_code ORDER BY n DESC, run_code",
        lambda a: sorted(
            Counter(t["run_code"] for t in targets(a) if t["run_code"] in ("LRa01", "LRc01")).items(),
            key=lambda kv: (-kv[1], kv[0]),
        ),
        True,
    ),
    (
        "SELECT COUNT(*) FROM corot.targets WHERE run_code NOT IN ('LRa01', 'LRc01')",
        lambda a: [(sum(t["run_code"] not in ("LRa01", "LRc01") for t in targets(a)),)],
        True,
    ),
    (
        "SELECT run_code, MIN(vmag), MAX(vmag), AVG(vmag), SUM(win_id) FROM corot.targets GROUP BY run_code "
        "HAVING COUNT(*) > 100",
        lambda a: [
            (code, min(f32(v) for v in ms), max(f32(v) for v in ms), float(np.mean([f32(v) for v in ms])), sum(ws))
            for code in sorted({t["run_code"] for t in targets(a)})
            for ms, ws, n in [
                (
                    [t["vmag"] for t in targets(a) if t["run_code"] == code and t["vmag"] is not None],
                    [t["win_id"] for t in targets(a) if t["run_code"] == code],
                    sum(t["run_code"] == code for t in targets(a)),
                )
            ]
            if n > 100
        ],
        False,
    ),
    (
        "SELECT COUNT(*) FROM corot.targets WHERE vmag IS NULL",
        lambda a: [(sum(t["vmag"] is None for t in targets(a)),)],
        True,
    ),
    (
        "SELECT star_name FROM corot.targets WHERE star_name LIKE 'HD%' OR star_name ILIKE 'miller%'",
        lambda a: [("HD 49933",), ("Miller's Star",)],
        False,
    ),
    (
        "SELECT star_name FROM corot.targets WHERE star_name LIKE 'AB_C%'",
        lambda a: [("AB_C%D",), ("ABXCYD",)],
        False,
    ),
    (
        "SELECT star_name FROM corot.targets WHERE star_name LIKE 'AB!_C!%D' ESCAPE '!'",
        lambda a: [("AB_C%D",)],
        False,
    ),
    (
        "SELECT COUNT(*) FROM corot.targets WHERE star_name NOT LIKE ''",
        lambda a: [(4,)],
        True,
    ),
    (
        "SELECT corot_id FROM corot.targets WHERE star_name = 'Miller''s Star'",
        lambda a: [(targets(a)[6]["corot_id"],)],
        True,
    ),
    (
        'SELECT "vmag", VMAG, Vmag FROM corot.targets WHERE corot_id = 0',
        lambda a: [],
        True,
    ),
    # joins
    (
        "SELECT t.corot_id, r.field FROM corot.targets AS t JOIN corot.runs AS r ON t.run_code = r.run_code "
        "WHERE t.vmag < 7",
        lambda a: [
            (t["corot_id"], {r["run_code"]: r["field"] for r in runs(a)}[t["run_code"]])
            for t in targets(a)
            if t["vmag"] is not None and f32(t["vmag"]) < 7
        ],
        False,
    ),
    (
        "SELECT run_code, n_exo_ccds, COUNT(*) FROM corot.targets JOIN corot.runs USING (run_code) "
        "GROUP BY run_code, n_exo_ccds",
        lambda a: [
            (code, {r["run_code"]: r["n_exo_ccds"] for r in runs(a)}[code], count)
            for code, count in Counter(t["run_code"] for t in targets(a)).items()
        ],
        False,
    ),
    (
        "SELECT COUNT(*) FROM corot.targets NATURAL JOIN corot.runs",
        lambda a: [
            (
                sum(
                    1
                    for t in targets(a)
                    for r in runs(a)
                    if (t["run_code"], t["date_start"], t["date_end"])
                    == (r["run_code"], r["date_start"], r["date_end"])
                ),
            )
        ],
        True,
    ),
    (
        "SELECT COUNT(*), COUNT(l.product_id) FROM corot.targets AS t LEFT OUTER JOIN corot.lightcurves AS l "
        "ON t.corot_id = l.corot_id AND t.run_code = l.run_code",
        lambda a: [(left_join_rows(a), len(lightcurves(a)))],
        True,
    ),
    (
        "SELECT COUNT(*) FROM corot.lightcurves AS l RIGHT JOIN corot.runs AS r ON l.run_code = r.run_code",
        lambda a: [(sum(max(1, sum(lc["run_code"] == r["run_code"] for lc in lightcurves(a))) for r in runs(a)),)],
        True,
    ),
    (
        "SELECT run_code FROM (SELECT run_code FROM corot.runs WHERE n_exo_ccds = 2) AS a "
        "FULL OUTER JOIN (SELECT run_code FROM corot.runs WHERE n_exo_ccds = 1) AS b USING (run_code)",
        lambda a: [(r["run_code"],) for r in runs(a)],
        False,
    ),
    (
        "SELECT COUNT(*) FROM corot.runs AS a CROSS JOIN corot.runs AS b",
        lambda a: [(len(runs(a)) ** 2,)],
        True,
    ),
    (
        "SELECT COUNT(*) FROM corot.runs AS a, corot.runs AS b WHERE a.n_exo_ccds < b.n_exo_ccds",
        lambda a: [(sum(x["n_exo_ccds"] < y["n_exo_ccds"] for x in runs(a) for y in runs(a)),)],
        True,
    ),
    # subqueries
    (
        "SELECT run_code FROM corot.runs WHERE run_code IN (SELECT run_code FROM corot.targets WHERE vmag < 6.05)",
        lambda a: [
            (c,) for c in {t["run_code"] for t in targets(a) if t["vmag"] is not None and f32(t["vmag"]) < 6.05}
        ],
        False,
    ),
    (
        "SELECT r.run_code FROM corot.runs AS r WHERE NOT EXISTS "
        "(SELECT * FROM corot.targets AS t WHERE t.run_code = r.run_code AND t.vmag < 6.2)",
        lambda a: [
            (r["run_code"],)
            for r in runs(a)
            if not any(
                t["run_code"] == r["run_code"] and t["vmag"] is not None and f32(t["vmag"]) < 6.2 for t in targets(a)
            )
        ],
        False,
    ),
    (
        "SELECT corot_id FROM corot.targets WHERE vmag = (SELECT MIN(vmag) FROM corot.targets)",
        lambda a: [(min((t for t in targets(a) if t["vmag"] is not None), key=lambda t: t["vmag"])["corot_id"],)],
        True,
    ),
    (
        "SELECT s.run_code, s.n FROM (SELECT run_code, COUNT(*) AS n FROM corot.targets GROUP BY run_code) AS s "
        "WHERE s.n > 300",
        lambda a: [kv for kv in Counter(t["run_code"] for t in targets(a)).items() if kv[1] > 300],
        False,
    ),
    (
        "SELECT r.run_code, (SELECT COUNT(*) FROM corot.lightcurves AS l WHERE l.run_code = r.run_code) "
        "FROM corot.runs AS r",
        lambda a: [(r["run_code"], sum(lc["run_code"] == r["run_code"] for lc in lightcurves(a))) for r in runs(a)],
        False,
    ),
    # set operations and common tables
    (
        "SELECT run_code FROM corot.runs WHERE n_exo_ccds = 2 UNION SELECT run_code FROM corot.runs "
        "WHERE field = 'center' ORDER BY 1",
        lambda a: sorted({(r["run_code"],) for r in runs(a) if r["n_exo_ccds"] == 2 or r["field"] == "center"}),
        True,
    ),
    (
        "SELECT run_code FROM corot.runs UNION ALL SELECT run_code FROM corot.runs",
        lambda a: [(r["run_code"],) for r in runs(a)] * 2,
        False,
    ),
    (
        "SELECT run_code FROM corot.runs INTERSECT SELECT run_code FROM corot.runs WHERE n_exo_ccds = 1",
        lambda a: [(r["run_code"],) for r in runs(a) if r["n_exo_ccds"] == 1],
        False,
    ),
    (
        "SELECT run_code FROM corot.runs EXCEPT SELECT run_code FROM corot.runs WHERE n_exo_ccds = 1",
        lambda a: [(r["run_code"],) for r in runs(a) if r["n_exo_ccds"] != 1],
        False,
    ),
    (
        "(SELECT TOP 2 run_code FROM corot.runs ORDER BY run_code) UNION ALL "
        "(SELECT TOP 1 run_code FROM corot.runs ORDER BY run_code DESC)",
        lambda a: [(c,) for c in sorted(r["run_code"] for r in runs(a))[:2]] + [(max(r["run_code"] for r in runs(a)),)],
        False,
    ),
    (
        "WITH bright AS (SELECT corot_id, run_code FROM corot.targets WHERE vmag < 7), "
        "per_run AS (SELECT run_code, COUNT(*) AS n FROM bright GROUP BY run_code) "
        "SELECT run_code, n FROM per_run WHERE n > 5",
        lambda a: [
            kv
            for kv in Counter(t["run_code"] for t in targets(a) if t["vmag"] is not None and f32(t["vmag"]) < 7).items()
            if kv[1] > 5
        ],
        False,
    ),
    (
        "WITH r AS (SELECT * FROM corot.runs) SELECT a.run_code FROM r AS a JOIN r AS b ON a.run_code = b.run_code",
        lambda a: [(r["run_code"],) for r in runs(a)],
        False,
    ),
    # expressions and functions
    (
        "SELECT 7 / 2, -7 / 2, 7.0 / 2, 7 % 3, -7 % 3, MOD(7, 3), MOD(7.5, 2), 2 + 3 * 4 FROM corot.runs "
        "WHERE run_code = 'LRa01'",
        lambda a: [(3, -3, 3.5, 1, -1, 1, 1.5, 14)],
        True,
    ),
    (
        "SELECT 12 & 10, 12 | 10, 12 ^ 10, ~12, 0x1F, 0xff & 15 FROM corot.runs WHERE run_code = 'LRa01'",
        lambda a: [(8, 14, 6, -13, 31, 15)],
        True,
    ),
    (
        "SELECT run_code || '-' || field, run_code || 1 FROM corot.runs",
        lambda a: [(f"{r['run_code']}-{r['field']}", f"{r['run_code']}1") for r in runs(a)],
        False,
    ),
    (
        "SELECT ABS(-2.5), CEILING(1.2), FLOOR(-1.2), ROUND(2.567, 2), TRUNCATE(2.567, 1), TRUNCATE(-2.5), "
        "SQRT(16), POWER(2, 10), EXP(0), LOG(EXP(2)), LOG10(1000), PI(), DEGREES(PI()), RADIANS(180) "
        "FROM corot.runs WHERE run_code = 'LRa01'",
        lambda a: [(2.5, 2.0, -2.0, 2.57, 2.5, -2.0, 4.0, 1024.0, 1.0, 2.0, 3.0, math.pi, 180.0, math.pi)],
        True,
    ),
    (
        "SELECT SIN(PI() / 2), COS(0), TAN(PI() / 4), COT(PI() / 4), ASIN(1), ACOS(1), ATAN(1), ATAN2(1, 1) "
        "FROM corot.runs WHERE run_code = 'LRa01'",
        lambda a: [(1.0, 1.0, 1.0, 1.0, math.pi / 2, 0.0, math.pi / 4, math.pi / 4)],
        True,
    ),
    (
        "SELECT ABS(n_exo_ccds - 3), ROUND(n_exo_ccds), FLOOR(n_exo_ccds) FROM corot.runs WHERE run_code = 'LRa01'",
        lambda a: [(1, 2, 2)],
        True,
    ),
    (
        "SELECT CASE WHEN n_exo_ccds = 2 THEN 'two' WHEN n_exo_ccds = 1 THEN 'one' ELSE 'none' END, "
        "CASE field WHEN 'center' THEN 1 ELSE 0 END FROM corot.runs",
        lambda a: [({2: "two", 1: "one"}[r["n_exo_ccds"]], int(r["field"] == "center")) for r in runs(a)],
        False,
    ),
    (
        "SELECT COALESCE(vmag, -1), NULLIF(channel, 'exo') FROM corot.targets WHERE corot_id IN "
        "(SELECT corot_id FROM corot.targets WHERE vmag IS NULL) AND channel = 'astero'",
        lambda a: [
            (-1.0 if t["vmag"] is None else f32(t["vmag"]), "astero")
            for t in targets(a)
            if t["channel"] == "astero" and t["corot_id"] in null_vmag_ids(a)
        ],
        False,
    ),
    (
        "SELECT CAST(n_exo_ccds AS DOUBLE PRECISION) / 4, CAST('3.25' AS REAL), CAST(2.9 AS INTEGER), "
        "CAST(n_exo_ccds AS CHAR(1)), CAST(run_code AS VARCHAR(3)), CAST(12345678901 AS BIGINT), "
        "CAST(run_code AS VARCHAR) FROM corot.runs WHERE run_code = 'LRa01'",
        lambda a: [(0.5, 3.25, 3, "2", "LRa", 12345678901, "LRa01")],
        True,
    ),
    (
        "SELECT LOWER(run_code), UPPER(field) FROM corot.runs WHERE run_code = 'LRa01'",
        lambda a: [("lra01", "ANTICENTER")],
        True,
    ),
    (
        "SELECT IN_UNIT(duration, 'h'), IN_UNIT(ra_center, 'arcmin') FROM corot.runs WHERE run_code = 'LRa01'",
        lambda a: [(r["duration"] * 24, r["ra_center"] * 60) for r in runs(a) if r["run_code"] == "LRa01"],
        True,
    ),
    (
        "SELECT COUNT(*) FROM corot.targets WHERE date_start > '2010-06-01' AND date_start < "
        "CAST('2011-01-01T00:00:00' AS TIMESTAMP)",
        lambda a: [(sum(datetime(2010, 6, 1) < t["date_start"] < datetime(2011, 1, 1) for t in targets(a)),)],
        True,
    ),
    (
        "SELECT TOP 3 corot_id FROM corot.targets ORDER BY corot_id OFFSET 2",
        lambda a: [(c,) for c in sorted(t["corot_id"] for t in targets(a))[2:5]],
        True,
    ),
    (
        "SELECT corot_id FROM corot.targets ORDER BY corot_id DESC OFFSET 2998",
        lambda a: [(c,) for c in sorted((t["corot_id"] for t in targets(a)), reverse=True)[2998:]],
        True,
    ),
    (
        "SELECT DISTINCT run_code FROM corot.targets ORDER BY run_code",
        lambda a: [(c,) for c in sorted({t["run_code"] for t in targets(a)})],
        True,
    ),
    (
        "SELECT FLOOR(vmag) AS bin, COUNT(*) FROM corot.targets WHERE vmag IS NOT NULL GROUP BY FLOOR(vmag) "
        "ORDER BY bin",
        lambda a: sorted(Counter(math.floor(f32(t["vmag"])) for t in targets(a) if t["vmag"] is not None).items()),
        True,
    ),
    (
        "SELECT FLOOR(vmag / 2) AS bin, COUNT(*) FROM corot.targets WHERE vmag IS NOT NULL GROUP BY bin ORDER BY 1",
        lambda a: sorted(Counter(math.floor(f32(t["vmag"]) / 2) for t in targets(a) if t["vmag"] is not None).items()),
        True,
    ),
    (
        "SELECT channel, COUNT(*) FROM corot.targets GROUP BY 1 ORDER BY 2 DESC",
        lambda a: sorted(Counter(t["channel"] for t in targets(a)).items(), key=lambda kv: -kv[1]),
        True,
    ),
    # user-defined functions
    (
        "SELECT star_name FROM corot.targets WHERE ivo_hasword(star_name, 'star MILLER''S') = 1",
        lambda a: [("Miller's Star",)],
        True,
    ),
    (
        "SELECT star_name FROM corot.targets WHERE ivo_nocasematch(star_name, 'hd 4%') = 1",
        lambda a: [("HD 49933",)],
        True,
    ),
    (
        "SELECT ivo_hashlist_has('red#Green#blue', 'green'), ivo_hashlist_has('red#green', 're'), "
        "ivo_hashlist_has('red#green', 'red#green'), ivo_interval_overlaps(-3, -2, 2, 3), "
        "ivo_interval_overlaps(-2, 55.3, 2, 3), ivo_interval_overlaps(-2, 55.3, 3, 2), "
        "ivo_interval_overlaps(-2, 2, 2, 3) FROM corot.runs WHERE run_code = 'LRa01'",
        lambda a: [(1, 0, 0, 0, 1, 0, 1)],
        True,
    ),
    (
        "SELECT ivo_healpix_index(0, 1, 1), ivo_healpix_index(17, 1, 1), ivo_healpix_index(17, POINT(359, -1)), "
        "ivo_healpix_center(0, 6), COORD1(ivo_healpix_center(17, ivo_healpix_index(17, 23.4, 56.7))) "
        "FROM corot.runs WHERE run_code = 'LRa01'",
        lambda a: [(4, 81609757711, 73009064944, [180.0, 0.0], 23.399843462947466)],
        True,
    ),
    (
        "SELECT ivo_to_mjd(CAST('2000-01-02T12:00:00' AS TIMESTAMP)), ivo_to_jd('1910-12-31T06:00:00'), "
        "ivo_to_mjd(NULL) FROM corot.runs WHERE run_code = 'LRa01'",
        lambda a: [(51545.5, 2419036.75, None)],
        True,
    ),
    (
        "SELECT ivo_string_agg(run_code, ',') FROM (SELECT run_code FROM corot.runs WHERE n_exo_ccds = 2) AS s",
        lambda a: [(",".join(sorted(r["run_code"] for r in runs(a) if r["n_exo_ccds"] == 2)),)],
        True,
    ),
]


def _sorted_agg(table_rows: Rows) -> Rows:
    """ivo_string_agg has no defined order: sort its parts to compare."""
    return [tuple(",".join(sorted(v.split(","))) if isinstance(v, str) else v for v in row) for row in table_rows]


@pytest.mark.parametrize(("query", "expect", "ordered"), CASES, ids=[c[0][:70] for c in CASES])
def test_query(run_adql: Runner, archive: Archive, query: str, expect: Expect, ordered: bool) -> None:
    actual = rows_of(run_adql(query))
    if "ivo_string_agg" in query:
        actual = _sorted_agg(actual)
    assert_rows(actual, expect(archive), ordered)


def test_histogram_matches_numpy(run_adql: Runner, archive: Archive) -> None:
    vmag = [f32(v) for v in archive.column("corot.targets", "vmag")]
    result = rows_of(
        run_adql("SELECT ivo_histogram(vmag, 6, 16, 5), gavo_histogram(vmag, 6, 16, 5) FROM corot.targets")
    )
    values = np.array([np.nan if v is None else v for v in vmag])
    finite = values[~np.isnan(values)]
    inner, _edges = np.histogram(finite[(finite >= 6) & (finite < 16)], bins=5, range=(6, 16))
    expected = [int(np.isnan(values).sum() + (finite < 6).sum()), *inner.tolist(), int((finite >= 16).sum())]
    assert result == [(expected, expected)]


def test_normal_random_is_a_number(run_adql: Runner) -> None:
    values = [r[0] for r in rows_of(run_adql("SELECT ivo_normal_random(10, 0.001), RAND() FROM corot.runs"))]
    assert all(9.9 < v < 10.1 for v in values)


def test_top_and_limit_combine(run_adql: Runner) -> None:
    assert run_adql("SELECT TOP 10 corot_id FROM corot.targets", limit=4).num_rows == 4
    assert run_adql("SELECT TOP 3 corot_id FROM corot.targets", limit=40).num_rows == 3
    assert run_adql("SELECT corot_id FROM corot.targets", limit=11).num_rows == 11
    assert (
        run_adql("SELECT run_code FROM corot.runs UNION ALL SELECT run_code FROM corot.runs", limit=13).num_rows == 13
    )
    assert run_adql("SELECT corot_id FROM corot.targets", limit=0).num_rows == 0


def test_access_policy_applies_through_relation_sql(run_adql: Runner, archive: Archive) -> None:
    everything = lightcurves(archive, public_only=False)
    anonymous = rows_of(run_adql("SELECT COUNT(*) FROM corot.lightcurves"))
    coi = rows_of(run_adql("SELECT COUNT(*) FROM corot.lightcurves", viewer=Viewer("coi", frozenset({"corot-coi"}))))
    assert anonymous == [(sum(r["access_group"] == "public" for r in everything),)]
    assert coi == [(len(everything),)]


def test_select_star_lists_declared_columns_only(run_adql: Runner, archive: Archive) -> None:
    table = run_adql("SELECT TOP 1 * FROM corot.lightcurves")
    declared = [c.name for c in archive.catalogue.table("corot.lightcurves").columns]
    assert table.column_names == declared
    assert "file_path" not in table.column_names and "_hpx" not in table.column_names


def test_duplicate_output_names_are_made_unique(run_adql: Runner) -> None:
    table = run_adql(
        "SELECT TOP 1 t.run_code, r.run_code, t.ra AS x, t.dec AS X, COUNT(*) AS n "
        "FROM corot.targets AS t JOIN corot.runs AS r ON t.run_code = r.run_code "
        "GROUP BY t.run_code, r.run_code, t.ra, t.dec"
    )
    assert table.column_names == ["run_code", "run_code_2", "x", "X_2", "n"]


def test_result_types_match_declared_metadata(run_adql: Runner, archive: Archive) -> None:
    query = (
        "SELECT TOP 3 corot_id, vmag, vmag + 1, COUNT(*) OVER_COUNT, SUM(win_id), AVG(vmag), "
        "POINT(ra, dec), CIRCLE(ra, dec, 0.1), BOX(ra, dec, 1, 1), date_start, run_code || 'x', "
        "DISTANCE(POINT(ra, dec), POINT(0, 0)), CAST(win_id AS SMALLINT), ivo_histogram(vmag, 0, 1, 2) "
        "FROM corot.targets GROUP BY corot_id, vmag, ra, dec, date_start, run_code, win_id"
    )
    annotated, _sql, _params = compile_query(query, archive)
    table = run_adql(query)
    expected = {
        ("long", None): "int64",
        ("float", None): "float",
        ("double", None): "double",
        ("short", None): "int16",
        ("double", "2"): "list<",
        ("double", "3"): "list<",
        ("double", "*"): "list<",
        ("long", "*"): "list<",
        ("char", "*"): "string",
    }
    for column, field in zip(annotated.columns, table.schema, strict=True):
        wanted = "timestamp" if column.xtype == "timestamp" else expected[(column.datatype, column.arraysize)]
        assert str(field.type).startswith(wanted), (column, field)


def test_bound_parameters_carry_every_literal(archive: Archive) -> None:
    _annotated, sql, params = compile_query(
        "SELECT corot_id FROM corot.targets WHERE star_name = 'zz''marker' AND vmag > 12.25 AND win_id = 77", archive
    )
    assert "zz" not in sql and "12.25" not in sql and "77" not in sql and "'" not in sql
    assert "zz'marker" in params and 12.25 in params and 77 in params


def test_equal_literals_share_a_parameter(archive: Archive) -> None:
    _annotated, sql, params = compile_query(
        "SELECT FLOOR(vmag / 2.5) FROM corot.targets GROUP BY FLOOR(vmag / 2.5) HAVING FLOOR(vmag / 2.5) > 2.5", archive
    )
    assert params.count(2.5) == 1
    assert sql.count("$1") == 4


def test_runtime_errors_surface_from_the_store(run_adql: Runner) -> None:
    from vo_service.store.base import StoreError

    with pytest.raises((StoreError, AdqlError)):
        run_adql("SELECT CAST(run_code AS INTEGER) FROM corot.runs")
