"""Spatial predicates: exact results, index pruning, and crossmatches that run as range joins.

Every spatial query is checked against a brute-force numpy computation, and against the
same query over a subquery (which hides ``_hpx``, so it runs without any pruning).
"""

from __future__ import annotations

import time
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tap.adql import AdqlError, annotate, parse, translate_duckdb
from tests.adql.conftest import Archive, Runner, compile_query
from vo_service.access import Viewer
from vo_service.metadata import Catalogue
from vo_service.spatial import angular_distance, box_polygon, hpx_index, polygon_contains
from vo_service.store.duckdb_functions import register_functions


def ids(table: Any, column: str = "corot_id") -> list[int]:
    return sorted(table.column(column).to_pylist())


def positions(archive: Archive) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    return (
        np.array(archive.column("corot.targets", "corot_id")),
        archive.array("corot.targets", "ra"),
        archive.array("corot.targets", "dec"),
    )


CONES = [
    (102.0, -1.0, 0.7),
    (0.2, 5.0, 1.5),
    (359.5, 5.5, 2.0),
    (45.0, 89.0, 1.5),
    (280.0, 1.0, 0.05),
    (200.0, -30.0, 1.0),
]

CONE_FORMS = [
    "SELECT corot_id FROM {t} WHERE 1 = CONTAINS(POINT('ICRS', ra, dec), CIRCLE('ICRS', {ra}, {dec}, {r}))",
    "SELECT corot_id FROM {t} WHERE CONTAINS(POINT(ra, dec), CIRCLE(POINT({ra}, {dec}), {r})) = 1",
    "SELECT corot_id FROM {t} WHERE DISTANCE(POINT(ra, dec), POINT({ra}, {dec})) <= {r}",
    "SELECT corot_id FROM {t} WHERE DISTANCE(POINT({ra}, {dec}), POINT(ra, dec)) < {r}",
    "SELECT corot_id FROM {t} WHERE {r} > DISTANCE(ra, dec, {ra}, {dec})",
    "SELECT corot_id FROM {t} WHERE INTERSECTS(CIRCLE({ra}, {dec}, {r}), POINT(ra, dec)) = 1",
    "SELECT corot_id FROM {t} WHERE 1 = CONTAINS(POINT(ra, dec), REGION('CIRCLE ICRS {ra} {dec} {r}'))",
]


@pytest.mark.parametrize("form", CONE_FORMS)
@pytest.mark.parametrize("cone", CONES)
def test_cone_matches_brute_force(
    run_adql: Runner, archive: Archive, form: str, cone: tuple[float, float, float]
) -> None:
    ra0, dec0, radius = cone
    corot_id, ra, dec = positions(archive)
    expected = sorted(corot_id[angular_distance(ra, dec, ra0, dec0) <= radius].tolist())
    indexed = run_adql(form.format(t="corot.targets", ra=ra0, dec=dec0, r=radius))
    unindexed = run_adql(form.format(t="(SELECT * FROM corot.targets) AS s", ra=ra0, dec=dec0, r=radius))
    assert ids(indexed) == expected == ids(unindexed)


def test_cone_uses_the_healpix_index(archive: Archive) -> None:
    _annotated, sql, _params = compile_query(
        "SELECT corot_id FROM corot.targets WHERE DISTANCE(POINT(ra, dec), POINT(102, -1)) < 0.5", archive
    )
    assert '"_hpx" BETWEEN' in sql
    _annotated, sql, _params = compile_query(
        "SELECT corot_id FROM (SELECT * FROM corot.targets) AS s WHERE DISTANCE(POINT(ra, dec), POINT(102, -1)) < 0.5",
        archive,
    )
    assert "_hpx" not in sql
    # Only where rows failing the test are dropped: never under NOT, nor when the point is not (ra, dec).
    for query in (
        "SELECT corot_id FROM corot.targets WHERE NOT (DISTANCE(POINT(ra, dec), POINT(102, -1)) < 0.5)",
        "SELECT corot_id FROM corot.targets WHERE CONTAINS(POINT(ra, dec), CIRCLE(102, -1, 0.5)) = 0",
        "SELECT corot_id FROM corot.targets WHERE CONTAINS(POINT(dec, ra), CIRCLE(102, -1, 0.5)) = 1",
        "SELECT CONTAINS(POINT(ra, dec), CIRCLE(102, -1, 0.5)) FROM corot.targets",
    ):
        assert "_hpx" not in compile_query(query, archive)[1], query


def test_negated_cone_is_the_complement(run_adql: Runner, archive: Archive) -> None:
    corot_id, ra, dec = positions(archive)
    outside = sorted(corot_id[angular_distance(ra, dec, 102.0, -1.0) > 0.7].tolist())
    assert (
        ids(run_adql("SELECT corot_id FROM corot.targets WHERE CONTAINS(POINT(ra, dec), CIRCLE(102, -1, 0.7)) = 0"))
        == outside
    )
    assert (
        ids(run_adql("SELECT corot_id FROM corot.targets WHERE NOT (DISTANCE(POINT(ra, dec), POINT(102, -1)) <= 0.7)"))
        == outside
    )


POLYGONS = [
    [101.0, -2.0, 103.0, -2.0, 103.0, 0.0, 101.0, 0.0],
    [359.0, 4.0, 1.0, 4.0, 1.0, 6.0, 0.0, 5.0, 359.0, 6.0],  # concave, across RA 0
    [0.0, 88.0, 120.0, 88.0, 240.0, 88.0],  # around the pole
]


@pytest.mark.parametrize("vertices", POLYGONS)
def test_polygon_matches_brute_force(run_adql: Runner, archive: Archive, vertices: list[float]) -> None:
    corot_id, ra, dec = positions(archive)
    expected = sorted(corot_id[polygon_contains(vertices, ra, dec)].tolist())
    assert len(expected) > 5
    coordinates = ", ".join(str(v) for v in vertices)
    for form in (
        "SELECT corot_id FROM {t} WHERE 1 = CONTAINS(POINT(ra, dec), POLYGON({c}))",
        "SELECT corot_id FROM {t} WHERE INTERSECTS(POINT(ra, dec), POLYGON('ICRS', {c})) = 1",
    ):
        indexed = run_adql(form.format(t="corot.targets", c=coordinates))
        unindexed = run_adql(form.format(t="(SELECT * FROM corot.targets) AS s", c=coordinates))
        assert ids(indexed) == expected == ids(unindexed)
    points = ", ".join(f"POINT({vertices[i]}, {vertices[i + 1]})" for i in range(0, len(vertices), 2))
    assert (
        ids(run_adql(f"SELECT corot_id FROM corot.targets WHERE CONTAINS(POINT(ra, dec), POLYGON({points})) = 1"))
        == expected
    )


def test_box_matches_brute_force(run_adql: Runner, archive: Archive) -> None:
    corot_id, ra, dec = positions(archive)
    corners = box_polygon(102.0, -1.0, 3.0, 2.0)[0].tolist()
    expected = sorted(corot_id[polygon_contains(corners, ra, dec)].tolist())
    assert len(expected) > 50
    for query in (
        "SELECT corot_id FROM corot.targets WHERE 1 = CONTAINS(POINT(ra, dec), BOX(102, -1, 3, 2))",
        "SELECT corot_id FROM corot.targets WHERE 1 = CONTAINS(POINT(ra, dec), BOX(POINT(102, -1), 3, 2))",
        "SELECT corot_id FROM corot.targets WHERE 1 = CONTAINS(POINT(ra, dec), REGION('BOX 102 -1 3 2'))",
    ):
        assert ids(run_adql(query)) == expected


def test_geometry_values_and_functions(run_adql: Runner, archive: Archive) -> None:
    table = run_adql(
        "SELECT TOP 1 POINT(ra, dec) AS p, COORD1(POINT(ra, dec)) AS c1, COORD2(POINT(ra, dec)) AS c2, "
        "CIRCLE(ra, dec, 0.5) AS c, AREA(CIRCLE(ra, dec, 1)) AS a, AREA(POINT(ra, dec)) AS a0, "
        "AREA(POLYGON(0, 0, 90, 0, 0, 90)) AS octant, CENTROID(CIRCLE(ra, dec, 1)) AS cc, "
        "COORDSYS(POINT('ICRS', 1, 2)) AS cs, COORDSYS(CIRCLE(ra, dec, 1)) AS cs2, "
        "CENTROID(POLYGON(10, -1, 12, -1, 12, 1, 10, 1)) AS pc, BOX(10, 0, 2, 2) AS b, "
        "CAST('12.5 -3.25' AS POINT) AS cp, INTERSECTS(CIRCLE(0, 0, 1), CIRCLE(1.5, 0, 1)) AS i, "
        "CONTAINS(CIRCLE(0, 0, 1), CIRCLE(0.5, 0, 1)) AS k, CONTAINS(POLYGON(0, 0, 1, 0, 0, 1), CIRCLE(0, 0, 5)) AS m "
        "FROM corot.targets ORDER BY corot_id"
    )
    row = table.to_pylist()[0]
    first = min(
        range(len(archive.column("corot.targets", "corot_id"))),
        key=lambda i: archive.column("corot.targets", "corot_id")[i],
    )
    ra, dec = archive.column("corot.targets", "ra")[first], archive.column("corot.targets", "dec")[first]
    assert row["p"] == [ra, dec] and row["c1"] == ra and row["c2"] == dec and row["c"] == [ra, dec, 0.5]
    assert row["a"] == pytest.approx(2 * np.pi * (1 - np.cos(np.radians(1))) * (180 / np.pi) ** 2)
    assert row["a0"] == 0 and row["octant"] == pytest.approx(5156.620156)
    assert row["cc"] == [ra, dec] and row["cs"] == "ICRS" and row["cs2"] == "ICRS"
    assert row["pc"] == [pytest.approx(11.0), pytest.approx(0.0, abs=1e-9)]
    assert row["b"] == pytest.approx(box_polygon(10, 0, 2, 2)[0].tolist())
    assert row["cp"] == [12.5, -3.25]
    assert (row["i"], row["k"], row["m"]) == (1, 0, 1)


def test_geometry_of_columns_in_udfs(run_adql: Runner, archive: Archive) -> None:
    table = run_adql(
        "SELECT corot_id, INTERSECTS(CIRCLE(ra, dec, 0.1), POLYGON(101, -2, 103, -2, 103, 0, 101, 0)) AS i, "
        "ivo_healpix_index(8, POINT(ra, dec)) AS h FROM corot.targets WHERE run_code = 'LRa01'"
    )
    rows = table.to_pylist()
    by_id = dict(
        zip(
            archive.column("corot.targets", "corot_id"),
            zip(archive.column("corot.targets", "ra"), archive.column("corot.targets", "dec"), strict=True),
            strict=False,
        )
    )
    for row in rows:
        ra, dec = by_id[row["corot_id"]]
        assert row["h"] == int(hpx_index([ra], [dec], 8)[0])
        near_box = 100.9 <= ra <= 103.1 and -2.1 <= dec <= 0.1
        assert row["i"] == 1 or not (101 <= ra <= 103 and -2 <= dec <= 0)
        assert row["i"] == 0 or near_box


def test_crossmatch_matches_brute_force(run_adql: Runner, archive: Archive) -> None:
    t_ra, t_dec = archive.array("corot.targets", "ra"), archive.array("corot.targets", "dec")
    t_id = np.array(archive.column("corot.targets", "corot_id"))
    lc = archive.rows["corot.lightcurves"]
    public = np.array([g == "public" for g in lc["access_group"]])
    l_ra, l_dec = np.array(lc["ra"])[public], np.array(lc["dec"])[public]
    l_id = np.array(lc["product_id"])[public]
    radius = 1.0 / 3600
    expected = sorted(
        (int(t_id[i]), str(l_id[j]))
        for j in range(len(l_ra))
        for i in np.flatnonzero(angular_distance(t_ra, t_dec, float(l_ra[j]), float(l_dec[j])) < radius)
    )
    assert len(expected) >= public.sum()
    forms = [
        "SELECT t.corot_id, l.product_id FROM corot.targets AS t JOIN corot.lightcurves AS l "
        "ON DISTANCE(t.ra, t.dec, l.ra, l.dec) < 1/3600.",
        "SELECT t.corot_id, l.product_id FROM corot.targets AS t, corot.lightcurves AS l "
        "WHERE DISTANCE(POINT(l.ra, l.dec), POINT(t.ra, t.dec)) < 1/3600.",
        "SELECT t.corot_id, l.product_id FROM corot.lightcurves AS l JOIN corot.targets AS t "
        "ON 1 = CONTAINS(POINT(t.ra, t.dec), CIRCLE(l.ra, l.dec, 1/3600.)) AND l.corot_id > 0",
    ]
    for form in forms:
        rows = sorted((r["corot_id"], r["product_id"]) for r in run_adql(form).to_pylist())
        assert rows == expected, form


@pytest.fixture(scope="module")
def big_tables(catalogue: Catalogue) -> Any:
    """10 000 × 200 000 positions in one field, read through relation_sql as the two catalogue tables."""
    rng = np.random.default_rng(11)
    conn = duckdb.connect(config={"threads": 2})
    register_functions(conn)
    n_small, n_big = 10_000, 200_000
    big_ra, big_dec = rng.uniform(100, 110, n_big), rng.uniform(-5, 5, n_big)
    picks = rng.choice(n_big, n_small, replace=False)
    small_ra = big_ra[picks] + rng.normal(0, 1e-4, n_small)
    small_dec = big_dec[picks] + rng.normal(0, 1e-4, n_small)
    conn.register(
        "big_rows",
        pa.table({"corot_id": np.arange(n_big), "ra": big_ra, "dec": big_dec, "_hpx": hpx_index(big_ra, big_dec)}),
    )
    conn.register(
        "small_rows",
        pa.table(
            {
                "product_id": [f"p{i}" for i in range(n_small)],
                "ra": small_ra,
                "dec": small_dec,
                "_hpx": hpx_index(small_ra, small_dec),
            }
        ),
    )
    conn.execute("CREATE TABLE big AS SELECT * FROM big_rows ORDER BY _hpx")
    conn.execute("CREATE TABLE small AS SELECT * FROM small_rows")
    relations = {"corot.targets": '"big"', "corot.lightcurves": '"small"'}
    yield conn, relations, (small_ra, small_dec, big_ra, big_dec)
    conn.close()


CROSSMATCHES = [
    "SELECT l.product_id, t.corot_id FROM corot.lightcurves AS l JOIN corot.targets AS t "
    "ON DISTANCE(l.ra, l.dec, t.ra, t.dec) < 1.5/3600",
    "SELECT l.product_id, t.corot_id FROM corot.lightcurves AS l, corot.targets AS t "
    "WHERE DISTANCE(POINT(l.ra, l.dec), POINT(t.ra, t.dec)) <= 1.5/3600",
    "SELECT l.product_id, t.corot_id FROM corot.lightcurves AS l, corot.targets AS t "
    "WHERE 1 = CONTAINS(POINT(t.ra, t.dec), CIRCLE(l.ra, l.dec, 1.5/3600))",
]


@pytest.mark.parametrize("query", CROSSMATCHES)
def test_crossmatch_is_a_range_join_and_fast(catalogue: Catalogue, big_tables: Any, query: str) -> None:
    conn, relations, (small_ra, small_dec, big_ra, big_dec) = big_tables
    annotated = annotate(parse(query), catalogue)
    sql, params = translate_duckdb(annotated, lambda table: relations[table.name], None)
    plan = "\n".join(row[1] for row in conn.execute("EXPLAIN " + sql, params).fetchall())
    assert "IE Join" in plan or "Piecewise Merge Join" in plan, plan
    for slow in ("Nested Loop Join", "Blockwise Nl Join", "Blockwise NL Join", "Cross Product"):
        assert slow not in plan, plan
    started = time.perf_counter()
    rows = conn.execute(sql, params).fetchall()
    elapsed = time.perf_counter() - started
    assert elapsed < 10, elapsed
    # Every small-table row was drawn from the big table 0.5 arcsec away or less: it matches itself.
    matched = {product for product, _corot in rows}
    assert len(matched) >= 0.99 * len(small_ra)
    sample = np.random.default_rng(5).choice(len(small_ra), 50, replace=False)
    found = {(p, c) for p, c in rows}
    for index in sample:
        near = np.flatnonzero(angular_distance(big_ra, big_dec, small_ra[index], small_dec[index]) <= 1.5 / 3600)
        assert {(f"p{index}", int(c)) for c in near} == {pair for pair in found if pair[0] == f"p{index}"}


# -- STC-S region columns (ObsCore s_region, xtype adql:REGION) -------------------------------
FOOTPRINTS = [
    (1, "Circle ICRS 102 -1 0.5"),
    (2, "POLYGON ICRS GEOCENTER 101 -2 103 -2 103 0"),
    (3, "Box 100 0 2 2"),
    (4, "Position ICRS 102 -1"),
    (5, "Circle GALACTIC 1 2 3"),
    (6, None),
    (7, "Union ICRS (Circle 1 2 3 Circle 4 5 6)"),
]


@pytest.fixture(scope="module")
def footprints(archive: Archive) -> Any:
    from vo_service.metadata import ColumnMeta, SchemaMeta, TableMeta

    table = TableMeta(
        name="tap_upload.footprints",
        columns=(
            ColumnMeta(name="id", datatype="long"),
            ColumnMeta(name="s_region", datatype="char", arraysize="*", xtype="adql:REGION"),
        ),
    )
    catalogue = archive.catalogue.with_schema(SchemaMeta(name="TAP_UPLOAD", tables=(table,)))
    rows = pa.table({"id": [i for i, _ in FOOTPRINTS], "s_region": [r for _, r in FOOTPRINTS]})

    def run(query: str) -> list[dict[str, Any]]:
        annotated = annotate(parse(query), catalogue)

        def relation(meta: Any) -> str:
            if meta.name == "tap_upload.footprints":
                return '"tap_upload_footprints"'
            return archive.store.relation_sql(meta, Viewer())

        sql, params = translate_duckdb(annotated, relation, None)
        batches = list(archive.store.stream_sql(sql, params, uploads={"footprints": rows}))
        return [row for batch in batches for row in batch.to_pylist()]

    return run


def test_region_columns_in_predicates(footprints: Any) -> None:
    def matching(condition: str) -> list[int]:
        rows = footprints(f"SELECT f.id FROM TAP_UPLOAD.footprints AS f WHERE {condition}")
        return sorted(r["id"] for r in rows)

    assert matching("1 = INTERSECTS(CIRCLE(102, -1, 0.1), f.s_region)") == [1, 2, 4]
    assert matching("INTERSECTS(f.s_region, POINT(102.2, -1.2)) = 1") == [1, 2]
    assert matching("CONTAINS(POINT(102.2, -1.2), f.s_region) = 1") == [1, 2]
    assert matching("CONTAINS(f.s_region, CIRCLE(102, -1, 3)) = 1") == [1, 2, 4]
    assert matching("CONTAINS(POINT(100, 0), f.s_region) = 1") == [3]
    assert matching("f.s_region LIKE 'Circle%'") == [1, 5]
    rows = footprints("SELECT s_region FROM TAP_UPLOAD.footprints WHERE id = 1")
    assert rows == [{"s_region": "Circle ICRS 102 -1 0.5"}]


def test_region_columns_against_a_catalogue(footprints: Any, archive: Archive) -> None:
    rows = footprints(
        "SELECT f.id, t.corot_id FROM corot.targets AS t, TAP_UPLOAD.footprints AS f "
        "WHERE t.run_code = 'LRa01' AND CONTAINS(POINT(t.ra, t.dec), f.s_region) = 1"
    )
    corot_id, ra, dec = positions(archive)
    lra01 = np.array([code == "LRa01" for code in archive.column("corot.targets", "run_code")])
    expected = {(1, int(c)) for c in corot_id[lra01 & (angular_distance(ra, dec, 102, -1) <= 0.5)]}
    expected |= {(2, int(c)) for c in corot_id[lra01 & polygon_contains([101, -2, 103, -2, 103, 0], ra, dec)]}
    box = box_polygon(100, 0, 2, 2)[0].tolist()
    expected |= {(3, int(c)) for c in corot_id[lra01 & polygon_contains(box, ra, dec)]}
    assert {(r["id"], r["corot_id"]) for r in rows} == expected
    assert len(expected) > 10


def test_region_columns_refuse_unsupported_functions(archive: Archive) -> None:
    from vo_service.metadata import ColumnMeta, SchemaMeta, TableMeta

    table = TableMeta(
        name="tap_upload.r",
        columns=(ColumnMeta(name="s_region", datatype="char", arraysize="*", xtype="adql:REGION"),),
    )
    catalogue = archive.catalogue.with_schema(SchemaMeta(name="TAP_UPLOAD", tables=(table,)))
    with pytest.raises(AdqlError, match="AREA of STC-S region strings is not supported"):
        annotate(parse("SELECT AREA(s_region) FROM TAP_UPLOAD.r"), catalogue)
    with pytest.raises(AdqlError, match="must be a POINT"):
        annotate(parse("SELECT DISTANCE(s_region, POINT(1, 2)) FROM TAP_UPLOAD.r"), catalogue)


@pytest.mark.parametrize(
    ("ra", "dec", "radius"),
    [
        ("10", "95", "10"),
        ("370", "5", "2"),
        ("-10", "5", "2"),
        ("0", "-90", "5"),
        ("1e308 * 10", "0", "1"),
        ("100", "0", "1e308 * 10"),
        ("100", "0", "-1"),
        ("100", "0", "0"),
        ("0", "88", "200"),
    ],
)
def test_odd_constants_give_the_unpruned_answer(run_adql: Runner, ra: str, dec: str, radius: str) -> None:
    form = "SELECT corot_id FROM {t} WHERE 1 = CONTAINS(POINT(ra, dec), CIRCLE({ra}, {dec}, {r}))"
    indexed = run_adql(form.format(t="corot.targets", ra=ra, dec=dec, r=radius))
    unindexed = run_adql(form.format(t="(SELECT * FROM corot.targets) AS s", ra=ra, dec=dec, r=radius))
    assert ids(indexed) == ids(unindexed)
    polygon = f"POLYGON({ra}, {dec}, {ra} + 1, {dec}, {ra}, {dec} + {radius})"
    form = "SELECT corot_id FROM {t} WHERE 1 = CONTAINS(POINT(ra, dec), {p})"
    indexed = run_adql(form.format(t="corot.targets", p=polygon))
    unindexed = run_adql(form.format(t="(SELECT * FROM corot.targets) AS s", p=polygon))
    assert ids(indexed) == ids(unindexed)


@settings(max_examples=60, deadline=None)
@given(
    st.floats(min_value=0.0, max_value=360.0),
    st.floats(min_value=-90.0, max_value=90.0),
    st.floats(min_value=0.0, max_value=360.0),
    st.floats(min_value=-90.0, max_value=90.0),
)
def test_adql_distance_is_the_core_angular_distance(
    run_adql: Runner, ra1: float, dec1: float, ra2: float, dec2: float
) -> None:
    """The haversine the translator writes in SQL and the core's numpy one agree."""
    table = run_adql(
        f"SELECT TOP 1 DISTANCE(POINT({ra1!r}, {dec1!r}), POINT({ra2!r}, {dec2!r})) AS d FROM corot.runs"
    )
    (distance,) = table.column("d").to_pylist()
    assert distance == pytest.approx(float(angular_distance(ra1, dec1, ra2, dec2)), abs=1e-11)
