"""Validation against the catalogue: result metadata, name resolution, and positioned errors."""

from __future__ import annotations

import pytest

from tap.adql import AdqlError, OutputColumn, annotate, parse
from tap.adql.annotated import ColumnSlot, MergedColumn, ResolvedColumn
from vo_service.metadata import Catalogue, ColumnMeta, SchemaMeta, TableMeta


def columns(query: str, catalogue: Catalogue) -> tuple[OutputColumn, ...]:
    return annotate(parse(query), catalogue).columns


def described(column: OutputColumn) -> tuple[object, ...]:
    return (column.name, column.datatype, column.arraysize, column.xtype, column.unit, column.ucd)


METADATA = [
    (
        "SELECT ra, dec FROM corot.targets",
        [
            ("ra", "double", None, None, "deg", "pos.eq.ra;meta.main"),
            ("dec", "double", None, None, "deg", "pos.eq.dec;meta.main"),
        ],
    ),
    (
        "SELECT COUNT(*), COUNT(vmag) AS n FROM corot.targets",
        [("count", "long", None, None, None, "meta.number"), ("n", "long", None, None, None, "meta.number")],
    ),
    (
        "SELECT AVG(vmag), MIN(vmag), MAX(ra), SUM(win_id), SUM(vmag) FROM corot.targets",
        [
            ("avg", "double", None, None, "mag", "phot.mag;em.opt.V"),
            ("min", "float", None, None, "mag", "phot.mag;em.opt.V"),
            ("max", "double", None, None, "deg", "pos.eq.ra;meta.main"),
            ("sum", "long", None, None, None, None),
            ("sum_2", "double", None, None, "mag", None),
        ],
    ),
    ("SELECT run_code || '/' || channel AS label FROM corot.targets", [("label", "char", "*", None, None, None)]),
    (
        "SELECT DISTANCE(POINT(ra, dec), POINT(0, 0)), DISTANCE(ra, dec, 0, 0) FROM corot.targets",
        [
            ("distance", "double", None, None, "deg", "pos.angDistance"),
            ("distance_2", "double", None, None, "deg", "pos.angDistance"),
        ],
    ),
    (
        "SELECT POINT(ra, dec), CIRCLE(ra, dec, 1), POLYGON(1, 2, 3, 4, 5, 6), BOX(ra, dec, 1, 1), "
        "CENTROID(CIRCLE(1, 2, 3)), REGION('CIRCLE ICRS 1 2 3') FROM corot.targets",
        [
            ("point", "double", "2", "point", None, "pos.eq"),
            ("circle", "double", "3", "circle", None, None),
            ("polygon", "double", "*", "polygon", None, None),
            ("box", "double", "*", "polygon", None, None),
            ("centroid", "double", "2", "point", None, "pos.eq"),
            ("region", "double", "3", "circle", None, None),
        ],
    ),
    (
        "SELECT AREA(CIRCLE(1, 2, 3)), COORD1(POINT(ra, dec)), COORD2(POINT(ra, dec)), COORDSYS(POINT(1, 2)) "
        "FROM corot.targets",
        [
            ("area", "double", None, None, "deg**2", "phys.angArea"),
            ("coord1", "double", None, None, "deg", "pos.eq.ra"),
            ("coord2", "double", None, None, "deg", "pos.eq.dec"),
            ("coordsys", "char", "*", None, None, None),
        ],
    ),
    (
        "SELECT CONTAINS(POINT(ra, dec), CIRCLE(1, 2, 3)) FROM corot.targets",
        [("contains", "int", None, None, None, None)],
    ),
    (
        "SELECT CAST(vmag AS INTEGER), CAST(ra AS CHAR(8)), CAST(run_code AS VARCHAR(3)), "
        "CAST('2010-01-01' AS TIMESTAMP), CAST('1 2' AS POINT) FROM corot.targets",
        [
            ("vmag", "int", None, None, "mag", None),
            ("ra", "char", "8", None, None, None),
            ("run_code", "char", "3*", None, None, None),
            ("cast", "char", "*", "timestamp", None, None),
            ("cast_2", "double", "2", "point", None, None),
        ],
    ),
    (
        "SELECT IN_UNIT(ra, 'arcsec') AS ra_as, ra * 2, ra + dec, vmag - 1 FROM corot.targets",
        [
            ("ra_as", "double", None, None, "arcsec", "pos.eq.ra;meta.main"),
            ("expr", "double", None, None, "deg", None),
            ("expr_2", "double", None, None, "deg", None),
            ("expr_3", "float", None, None, "mag", None),
        ],
    ),
    (
        "SELECT date_start, win_id / 2, win_id / 2.0, win_id & 3 FROM corot.targets",
        [
            ("date_start", "char", "*", "timestamp", None, "time.start;obs"),
            ("expr", "int", None, None, None, None),
            ("expr_2", "double", None, None, None, None),
            ("expr_3", "int", None, None, None, None),
        ],
    ),
    (
        "SELECT ivo_healpix_index(10, ra, dec), ivo_hasword(star_name, 'x'), ivo_to_mjd(date_start), "
        "ivo_healpix_center(3, 7) FROM corot.targets",
        [
            ("ivo_healpix_index", "long", None, None, None, "pos.healpix"),
            ("ivo_hasword", "int", None, None, None, None),
            ("ivo_to_mjd", "double", None, None, "d", "time.epoch"),
            ("ivo_healpix_center", "double", "2", "point", None, "pos.eq"),
        ],
    ),
    (
        "SELECT ivo_histogram(vmag, 0, 1, 5), ivo_string_agg(run_code, ',') FROM corot.targets",
        [("ivo_histogram", "long", "*", None, None, "meta.number"), ("ivo_string_agg", "char", "*", None, None, None)],
    ),
    (
        'SELECT ra AS x, dec AS "X", vmag AS x FROM corot.targets',
        [
            ("x", "double", None, None, "deg", "pos.eq.ra;meta.main"),
            ("X_2", "double", None, None, "deg", "pos.eq.dec;meta.main"),
            ("x_3", "float", None, None, "mag", "phot.mag;em.opt.V"),
        ],
    ),
    (
        "SELECT run_code FROM corot.targets UNION SELECT field FROM corot.runs",
        [("run_code", "char", "*", None, None, "meta.id;obs.field")],
    ),
    (
        "SELECT win_id FROM corot.targets UNION SELECT ra FROM corot.targets",
        [("win_id", "double", None, None, None, "meta.id;instr.det")],
    ),
    (
        'SELECT * FROM (SELECT ra AS "RA", dec FROM corot.targets) AS s',
        [
            ("RA", "double", None, None, "deg", "pos.eq.ra;meta.main"),
            ("dec", "double", None, None, "deg", "pos.eq.dec;meta.main"),
        ],
    ),
    (
        "SELECT CASE WHEN vmag > 10 THEN 1 ELSE 2.5 END, COALESCE(vmag, 0), NULLIF(run_code, 'x') FROM corot.targets",
        [
            ("expr", "double", None, None, None, None),
            ("coalesce", "float", None, None, "mag", "phot.mag;em.opt.V"),
            ("nullif", "char", "*", None, None, "meta.id;obs.field"),
        ],
    ),
]


@pytest.mark.parametrize(("query", "expected"), METADATA, ids=[m[0][:60] for m in METADATA])
def test_output_metadata(catalogue: Catalogue, query: str, expected: list[tuple[object, ...]]) -> None:
    assert [described(c) for c in columns(query, catalogue)] == expected


def test_column_metadata_is_passed_through(catalogue: Catalogue) -> None:
    (vmag,) = columns("SELECT t.vmag FROM corot.targets AS t", catalogue)
    declared = catalogue.table("corot.targets").column("vmag")
    assert (vmag.unit, vmag.ucd, vmag.utype, vmag.description) == (
        declared.unit,
        declared.ucd,
        declared.utype,
        declared.description,
    )
    assert vmag.source == "corot.targets.vmag"


def test_select_star_expands_declared_columns_in_order(catalogue: Catalogue) -> None:
    names = [c.name for c in columns("SELECT * FROM corot.lightcurves", catalogue)]
    assert names == [c.name for c in catalogue.table("corot.lightcurves").columns]
    joined = [c.name for c in columns("SELECT * FROM corot.runs JOIN corot.targets USING (run_code)", catalogue)]
    assert joined[0] == "run_code" and joined.count("run_code") == 1
    assert len(joined) == len(catalogue.table("corot.runs").columns) + len(catalogue.table("corot.targets").columns) - 1


RESOLVES = [
    'SELECT VMAG, Ra, "dec" FROM COROT.TARGETS',
    "SELECT vmag FROM targets",
    "SELECT targets.vmag FROM corot.targets",
    "SELECT corot.targets.vmag FROM corot.targets",
    "SELECT t.vmag FROM corot.targets t WHERE t.vmag > 1",
    'SELECT "T".vmag FROM corot.targets AS "T"',
    "SELECT table_name FROM TAP_SCHEMA.tables",
    'SELECT table_name FROM "TAP_SCHEMA"."tables"',
    "SELECT run_code FROM corot.targets JOIN corot.runs USING (run_code)",
    "SELECT run_code FROM corot.targets NATURAL JOIN corot.runs",
    "SELECT r.run_code FROM corot.runs AS r "
    "WHERE EXISTS (SELECT 1 FROM corot.targets AS t WHERE t.run_code = r.run_code)",
    "SELECT run_code FROM corot.runs WHERE n_targets > (SELECT AVG(n_targets) FROM corot.runs)",
    "WITH x AS (SELECT vmag AS m FROM corot.targets) SELECT M FROM x",
    "SELECT x.* FROM (SELECT vmag FROM corot.targets) AS x",
    "SELECT run_code, COUNT(*) FROM corot.targets GROUP BY run_code ORDER BY COUNT(*) DESC",
    "SELECT FLOOR(vmag) AS b FROM corot.targets GROUP BY b",
    'SELECT "size" FROM TAP_SCHEMA.columns',
]


@pytest.mark.parametrize("query", RESOLVES)
def test_names_resolve(catalogue: Catalogue, query: str) -> None:
    annotate(parse(query), catalogue)


ERRORS = [
    (
        "SELECT vmagg FROM corot.targets",
        1,
        8,
        "Unknown column 'vmagg' in corot.targets (line 1, column 8); did you mean 'vmag'?",
    ),
    ("SELECT t.vmagg FROM corot.targets AS t", 1, 10, "did you mean 'vmag'"),
    ('SELECT "VMAG" FROM corot.targets', 1, 8, "delimited identifiers are case-sensitive"),
    ("SELECT x.vmag FROM corot.targets AS t", 1, 8, "Unknown table 'x'"),
    ("SELECT corot.targets.vmag FROM corot.targets AS t", 1, 8, "has the alias 't'"),
    ("SELECT vmag FROM corot.targetz", 1, 18, "did you mean 'corot.targets'?"),
    ("SELECT vmag FROM nope.targets", 1, 18, "Unknown schema 'nope'"),
    ("SELECT vmag FROM cat.corot.targets", 1, 18, "Unknown catalog"),
    ("SELECT run_code FROM corot.targets, corot.runs", 1, 8, "Column 'run_code' is ambiguous"),
    ("SELECT ra FROM corot.targets, corot.lightcurves", 1, 8, "ambiguous"),
    ("SELECT * FROM corot.runs, corot.runs", 1, 27, "used twice in FROM"),
    ("SELECT * FROM corot.runs JOIN corot.targets", 1, 26, "needs an ON or USING clause"),
    ("SELECT * FROM corot.runs JOIN corot.targets USING (vmag)", 1, 52, "not in the left operand"),
    ("SELECT * FROM (SELECT vmag FROM corot.targets)", 1, 16, "needs a name"),
    ("SELECT foo(vmag) FROM corot.targets", 1, 8, "Unknown function 'foo'"),
    ("SELECT read_csv('/etc/passwd') FROM corot.targets", 1, 8, "Unknown function 'read_csv'"),
    ("SELECT SQRT(vmag, 2) FROM corot.targets", 1, 8, "SQRT takes 1 argument, not 2"),
    ("SELECT SQRT(run_code) FROM corot.targets", 1, 13, "must be numeric, not VARCHAR"),
    ("SELECT ABS(*) FROM corot.targets", 1, 8, "Only COUNT accepts *"),
    ("SELECT SQRT(DISTINCT vmag) FROM corot.targets", 1, 8, "DISTINCT is only allowed in set functions"),
    ("SELECT vmag FROM corot.targets WHERE COUNT(*) > 1", 1, 38, "not allowed in WHERE"),
    ("SELECT MAX(COUNT(*)) FROM corot.targets", 1, 12, "cannot be nested"),
    ("SELECT run_code, vmag FROM corot.targets GROUP BY run_code", 1, 18, "must appear in GROUP BY"),
    ("SELECT run_code, COUNT(*) FROM corot.targets", 1, 8, "must appear in GROUP BY"),
    ("SELECT * FROM corot.runs GROUP BY run_code", 1, 1, "(from *) must appear in GROUP BY"),
    ("SELECT vmag FROM corot.targets WHERE run_code > 3", 1, 47, "Cannot compare VARCHAR with INTEGER"),
    ("SELECT vmag FROM corot.targets WHERE POINT(ra, dec) = POINT(1, 2)", 1, 53, "CONTAINS"),
    ("SELECT vmag FROM corot.targets WHERE vmag LIKE '1%'", 1, 38, "LIKE needs strings"),
    ("SELECT vmag FROM corot.targets WHERE run_code LIKE 'x' ESCAPE '!!'", 1, 63, "single character"),
    ("SELECT run_code + 1 FROM corot.targets", 1, 17, "needs numeric operands"),
    ("SELECT vmag & 1 FROM corot.targets", 1, 13, "needs integer operands"),
    ("SELECT vmag FROM corot.targets UNION SELECT ra, dec FROM corot.targets", 1, 32, "different numbers of columns"),
    ("SELECT run_code FROM corot.runs UNION SELECT n_targets FROM corot.runs", 1, 33, "incompatible types"),
    ("SELECT vmag FROM corot.targets ORDER BY 2", 1, 41, "ORDER BY position 2"),
    (
        "SELECT run_code FROM corot.runs UNION SELECT run_code FROM corot.runs ORDER BY n_targets",
        1,
        80,
        "may only name result columns",
    ),
    ("SELECT DISTINCT run_code FROM corot.targets ORDER BY vmag", 1, 54, "must be in the select list"),
    ("SELECT vmag FROM corot.targets WHERE vmag IN (SELECT ra, dec FROM corot.targets)", 1, 43, "one column"),
    ("SELECT (SELECT ra, dec FROM corot.targets) FROM corot.runs", 1, 9, "one column"),
    ("SELECT IN_UNIT(ra, 'furlong') FROM corot.targets", 1, 20, "not a valid VOUnit"),
    ("SELECT IN_UNIT(ra, 'kg') FROM corot.targets", 1, 8, "Cannot convert from 'deg' to 'kg'"),
    ("SELECT IN_UNIT(win_id, 'deg') FROM corot.targets", 1, 16, "without a unit"),
    ("SELECT IN_UNIT(ra, run_code) FROM corot.targets", 1, 20, "string literal"),
    ("SELECT POINT('GALACTIC', 1, 2) FROM corot.targets", 1, 14, "Unsupported coordinate system 'GALACTIC'"),
    ("SELECT REGION('UNION (CIRCLE 1 2 3 CIRCLE 4 5 6)') FROM corot.targets", 1, 15, "not supported"),
    ("SELECT REGION(run_code) FROM corot.targets", 1, 15, "string literal"),
    ("SELECT POLYGON(1, 2, 3, 4) FROM corot.targets", 1, 8, "at least three vertices"),
    ("SELECT POLYGON(POINT(1, 2), 3, 4, 5, 6, 7) FROM corot.targets", 1, 16, "must be numeric, not POINT"),
    ("SELECT CIRCLE(POINT(1, 2), 3, 4) FROM corot.targets", 1, 15, "Argument 1 of CIRCLE must be numeric"),
    ("SELECT CIRCLE(1, 2) FROM corot.targets", 1, 15, "Argument 1 of CIRCLE must be a POINT"),
    ("SELECT DISTANCE(POINT(1, 2), 3) FROM corot.targets", 1, 30, "must be a POINT"),
    ("SELECT COORD1(CIRCLE(1, 2, 3)) FROM corot.targets", 1, 15, "must be a POINT"),
    ("SELECT CAST(POINT(1, 2) AS VARCHAR) FROM corot.targets", 1, 8, "Cannot CAST POINT"),
    ("SELECT CAST(vmag AS TIMESTAMP) FROM corot.targets", 1, 8, "Only strings can be CAST to TIMESTAMP"),
    ("SELECT COALESCE(vmag, run_code) FROM corot.targets", 1, 8, "must have the same type"),
    ("SELECT CASE WHEN vmag > 1 THEN 'a' ELSE 2 END FROM corot.targets", 1, 8, "incompatible types"),
    ("WITH a AS (SELECT 1 FROM corot.runs), a AS (SELECT 2 FROM corot.runs) SELECT * FROM a", 1, 39, "defined twice"),
    ("SELECT file_path FROM corot.lightcurves", 1, 8, "Unknown column 'file_path'"),
    ('SELECT "_hpx" FROM corot.targets', 1, 8, "Unknown column '\"_hpx\"'"),
    ("SELECT * FROM information_schema.tables", 1, 15, "Unknown schema 'information_schema'"),
]


@pytest.mark.parametrize(("query", "line", "column", "message"), ERRORS, ids=[e[0][:60] for e in ERRORS])
def test_errors(catalogue: Catalogue, query: str, line: int, column: int, message: str) -> None:
    with pytest.raises(AdqlError) as caught:
        annotate(parse(query), catalogue)
    assert message in str(caught.value)
    assert (caught.value.line, caught.value.column) == (line, column)


def test_upload_tables_are_resolved(catalogue: Catalogue) -> None:
    upload = TableMeta(
        name="tap_upload.mine",
        columns=(
            ColumnMeta(name="id", datatype="long"),
            ColumnMeta(name="ra", datatype="double", unit="deg"),
            ColumnMeta(name="dec", datatype="double", unit="deg"),
        ),
    )
    extended = catalogue.with_schema(SchemaMeta(name="TAP_UPLOAD", tables=(upload,)))
    annotated = annotate(
        parse(
            "SELECT m.id, t.corot_id FROM TAP_UPLOAD.mine AS m JOIN corot.targets AS t "
            "ON DISTANCE(m.ra, m.dec, t.ra, t.dec) < 0.001"
        ),
        extended,
    )
    assert [c.name for c in annotated.columns] == ["id", "corot_id"]
    assert {t.name for t in annotated.tables} == {"tap_upload.mine", "corot.targets"}
    with pytest.raises(AdqlError, match="Unknown schema 'TAP_UPLOAD'"):
        annotate(parse("SELECT * FROM TAP_UPLOAD.mine"), catalogue)


def test_unqualified_name_ambiguous_across_schemas(catalogue: Catalogue) -> None:
    copy = TableMeta(name="other.runs", columns=(ColumnMeta(name="run_code", datatype="char", arraysize="*"),))
    extended = catalogue.with_schema(SchemaMeta(name="other", tables=(copy,)))
    with pytest.raises(AdqlError, match=r"Table name 'runs' is ambiguous \(corot.runs, other.runs\)"):
        annotate(parse("SELECT run_code FROM runs"), extended)
    annotate(parse("SELECT run_code FROM other.runs"), extended)


def _strings(value: object) -> list[str]:
    """Every string held in an annotation's side tables (recursively through containers)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, (tuple, list, set, frozenset)):
        return [s for v in value for s in _strings(v)]
    if isinstance(value, (ColumnSlot, MergedColumn)):
        return [s for name in value.__dataclass_fields__ for s in _strings(getattr(value, name))]
    if isinstance(value, ResolvedColumn):
        return _strings(value.source)
    return []


@pytest.mark.parametrize(
    "query",
    [
        "SELECT a.run_code, COUNT(*) FROM corot.runs AS a FULL OUTER JOIN corot.targets AS b USING (run_code) "
        "GROUP BY a.run_code",
        "WITH w AS (SELECT run_code FROM corot.runs) SELECT * FROM w NATURAL JOIN corot.runs",
        "SELECT t.ra FROM (SELECT ra, dec FROM corot.targets) AS t WHERE 1 = CONTAINS(POINT(t.ra, t.dec), "
        "CIRCLE(102, -1, 0.5))",
    ],
)
def test_annotation_holds_no_sql(catalogue: Catalogue, query: str) -> None:
    """Dialect work is the translator's: the annotation names columns structurally, never as SQL."""
    resolution = annotate(parse(query), catalogue).resolution
    held = _strings(resolution.columns) + _strings(resolution.join_keys) + _strings(resolution.ctes)
    assert held
    assert not [s for s in held if any(mark in s for mark in ('"', "(", " ", "."))]


def test_full_join_using_merges_both_sides(catalogue: Catalogue) -> None:
    query = parse("SELECT run_code FROM corot.runs FULL OUTER JOIN corot.targets USING (run_code)")
    annotated = annotate(query, catalogue)
    select = annotated.resolution.selects[id(query.body.body)][0]
    assert select.expression is not None
    merged = annotated.resolution.columns[id(select.expression)].source
    assert isinstance(merged, MergedColumn)
    assert (merged.left, merged.right) == (ColumnSlot("t1", "run_code"), ColumnSlot("t2", "run_code"))
    (keys,) = annotated.resolution.join_keys.values()
    assert keys == ((merged.left, merged.right),)
