"""Only read access through the declared metadata: injection attempts and hidden columns.

Besides refusing hostile queries, the emitted SQL is checked structurally: every function
called in it is on the translator's allow-list, every identifier is quoted, and the query
text reaches it only as quoted names or bound parameters.
"""

from __future__ import annotations

import re

import pytest

from tap.adql import AdqlError, annotate, parse, translate_duckdb
from tests.adql.conftest import Archive, Runner
from tests.adql.test_execute import CASES as EXECUTE_CASES
from tests.adql.test_spatial import CONE_FORMS
from vo_service.store.duckdb_store import qualified

#: Every function (or function-like keyword) the DuckDB translator may emit.
ALLOWED_SQL_FUNCTIONS = frozenset(
    {
        "abs",
        "ceil",
        "floor",
        "round",
        "trunc",
        "degrees",
        "radians",
        "exp",
        "ln",
        "log10",
        "sqrt",
        "pow",
        "acos",
        "asin",
        "atan",
        "atan2",
        "cos",
        "cot",
        "sin",
        "tan",
        "pi",
        "random",
        "lower",
        "upper",
        "coalesce",
        "nullif",
        "count",
        "avg",
        "sum",
        "min",
        "max",
        "xor",
        "least",
        "list_value",
        "left",
        "trim",
        "regexp_split_to_array",
        "epoch",
        "string_agg",
        "list",
        "contains",
        "list_contains",
        "string_split",
        "corot_polygon_contains",
        "corot_box",
        "corot_geom_contains",
        "corot_geom_intersects",
        "corot_polygon_area",
        "corot_polygon_centroid",
        "corot_healpix_index",
        "corot_healpix_center",
        "corot_hasword",
        "corot_histogram",
        "corot_stcs_kind",
        "corot_stcs_values",
        # keywords that take parentheses
        "cast",
        "in",
        "exists",
        "as",
        "and",
        "or",
        "not",
        "from",
        "join",
        "on",
        "select",
        "union",
        "except",
        "intersect",
        "all",
        "distinct",
        "between",
        "when",
        "then",
        "else",
        "case",
    }
)

_CALL = re.compile(r'"(?:[^"]|"")*"|\b([A-Za-z_][A-Za-z0-9_]*)\s*\(')
_BARE_WORD = re.compile(r'"(?:[^"]|"")*"|\$\d+|\b\d+(?:\.\d*)?(?:e-?\d+)?\b|\b([A-Za-z_][A-Za-z0-9_]*)\b')
_SQL_WORDS = frozenset(
    {
        "SELECT",
        "DISTINCT",
        "FROM",
        "WHERE",
        "GROUP",
        "BY",
        "HAVING",
        "ORDER",
        "ASC",
        "DESC",
        "LIMIT",
        "OFFSET",
        "AS",
        "AND",
        "OR",
        "NOT",
        "IN",
        "IS",
        "NULL",
        "BETWEEN",
        "LIKE",
        "ILIKE",
        "ESCAPE",
        "EXISTS",
        "CASE",
        "WHEN",
        "THEN",
        "ELSE",
        "END",
        "CAST",
        "UNION",
        "EXCEPT",
        "INTERSECT",
        "ALL",
        "WITH",
        "JOIN",
        "INNER",
        "LEFT",
        "RIGHT",
        "FULL",
        "OUTER",
        "CROSS",
        "ON",
        "TRUE",
        "DOUBLE",
        "FLOAT",
        "REAL",
        "INTEGER",
        "BIGINT",
        "SMALLINT",
        "UTINYINT",
        "VARCHAR",
        "TIMESTAMP",
        "BOOLEAN",
    }
)


def emitted_sql(query: str, archive: Archive) -> str:
    """The translator's own SQL: relations are plain quoted table names here."""
    annotated = annotate(parse(query), archive.catalogue)
    return translate_duckdb(annotated, lambda table: qualified(table.name), 100)[0]


ALL_QUERIES = (
    [case[0] for case in EXECUTE_CASES]
    + [form.format(t="corot.targets", ra=10, dec=20, r=0.5) for form in CONE_FORMS]
    + [
        "SELECT AREA(POLYGON(1, 2, 3, 4, 5, 6)), CENTROID(POLYGON(1, 2, 3, 4, 5, 6)), BOX(ra, dec, 1, 1), "
        "CAST('1 2 3' AS CIRCLE), INTERSECTS(CIRCLE(ra, dec, 1), BOX(1, 2, 3, 4)) FROM corot.targets",
        "SELECT ivo_histogram(vmag, 1, 2, 3), ivo_normal_random(1, 2) FROM corot.targets",
    ]
)


@pytest.mark.parametrize("query", ALL_QUERIES, ids=[q[:60] for q in ALL_QUERIES])
def test_only_allow_listed_functions_and_quoted_names(archive: Archive, query: str) -> None:
    sql = emitted_sql(query, archive)
    called = {m.group(1).lower() for m in _CALL.finditer(sql) if m.group(1)} - {w.lower() for w in _SQL_WORDS}
    assert called <= ALLOWED_SQL_FUNCTIONS, called - ALLOWED_SQL_FUNCTIONS
    bare = {m.group(1) for m in _BARE_WORD.finditer(sql) if m.group(1)}
    unexpected = {w for w in bare if w.upper() not in _SQL_WORDS and w.lower() not in ALLOWED_SQL_FUNCTIONS}
    assert unexpected == set(), unexpected
    assert "'" not in sql


HOSTILE = [
    ("SELECT * FROM corot.targets WHERE star_name = ''; DROP TABLE corot.targets; --'", "after the end of the query"),
    ("SELECT * FROM corot.targets; DROP TABLE corot.targets", "after the end of the query"),
    ("DROP TABLE corot.targets", "Unexpected 'DROP'"),
    ("SELECT * FROM read_csv('/etc/passwd')", "Unexpected"),
    ("SELECT read_csv('/etc/passwd') FROM corot.runs", "Unknown function 'read_csv'"),
    ("SELECT * FROM corot.runs WHERE read_text('/etc/passwd') = ''", "Unknown function 'read_text'"),
    ("SELECT pg_sleep(10) FROM corot.runs", "Unknown function 'pg_sleep'"),
    ("SELECT sleep_ms(10000) FROM corot.runs", "Unknown function 'sleep_ms'"),
    ("SELECT * FROM duckdb_tables()", "Unexpected"),
    ("SELECT duckdb_tables() FROM corot.runs", "Unknown function 'duckdb_tables'"),
    ("SELECT * FROM information_schema.tables", "Unknown schema 'information_schema'"),
    ("SELECT * FROM pg_catalog.pg_tables", "Unknown schema 'pg_catalog'"),
    ("SELECT * FROM main.sqlite_master", "Unknown schema 'main'"),
    ("SELECT * FROM duckdb_settings", "Unknown table 'duckdb_settings'"),
    ('SELECT * FROM "corot"."targets" AS t, "t1" AS x', "Unknown table '\"t1\"'"),
    ("SELECT t1.file_path FROM corot.lightcurves", "Unknown table 't1'"),
    ("SELECT file_path FROM corot.lightcurves", "Unknown column 'file_path'"),
    ("SELECT _hpx FROM corot.targets", "Unexpected character '_'"),
    ('SELECT "_hpx" FROM corot.targets', "Unknown column"),
    ("SELECT corot_polygon_area(POLYGON(1, 2, 3, 4, 5, 6)) FROM corot.runs", "Unknown function 'corot_polygon_area'"),
    ("SELECT setseed(0.5) FROM corot.runs", "Unknown function 'setseed'"),
    ("COPY corot.targets TO '/tmp/x.csv'", "Unexpected 'COPY'"),
    ("ATTACH '/tmp/evil.db' AS evil", "Unexpected 'ATTACH'"),
    ("PRAGMA database_list", "Unexpected 'PRAGMA'"),
    ("SET memory_limit = '1TB'", "Unexpected 'SET'"),
    ("INSTALL httpfs", "Unexpected 'INSTALL'"),
    ("SELECT getenv('HOME') FROM corot.runs", "Unknown function 'getenv'"),
    ("SELECT * FROM corot.runs WHERE run_code = $1", "Unexpected character '$'"),
    ("SELECT * FROM corot.runs WHERE run_code = ?", "Unexpected character '?'"),
    ("SELECT * FROM 'corot.runs'", "Unexpected"),
    ("SELECT * FROM corot.runs UNION SELECT * FROM read_parquet('x')", "Unexpected"),
]


@pytest.mark.parametrize(("query", "message"), HOSTILE, ids=[h[0][:60] for h in HOSTILE])
def test_hostile_queries_are_refused(run_adql: Runner, query: str, message: str) -> None:
    with pytest.raises(AdqlError) as caught:
        run_adql(query)
    assert message in str(caught.value)


def test_hostile_strings_are_only_data(run_adql: Runner, archive: Archive) -> None:
    before = run_adql("SELECT COUNT(*) FROM corot.targets").column(0)[0].as_py()
    for text in (
        "x'; DROP TABLE corot.targets; --",
        "'); SELECT * FROM read_csv('/etc/passwd'); --",
        "\\'; DROP TABLE x; --",
        "$1",
        "?",
    ):
        literal = text.replace("'", "''")
        result = run_adql(f"SELECT COUNT(*) FROM corot.targets WHERE star_name = '{literal}' OR run_code = '{literal}'")
        assert result.column(0)[0].as_py() == 0
        assert (
            run_adql(f"SELECT '{literal}' AS s FROM corot.runs WHERE run_code = 'LRa01'").column(0)[0].as_py() == text
        )
    assert run_adql("SELECT COUNT(*) FROM corot.targets").column(0)[0].as_py() == before


def test_hostile_names_are_only_names(run_adql: Runner) -> None:
    alias = 'x" FROM corot.runs; DROP TABLE corot.targets; --'
    quoted = alias.replace('"', '""')
    table = run_adql(f"SELECT run_code AS \"{quoted}\" FROM corot.runs WHERE run_code = 'LRa01'")
    assert table.column_names == [alias]
    with pytest.raises(AdqlError, match="Unknown table"):
        run_adql('SELECT * FROM "corot"."targets; DROP TABLE corot.runs"')
    with pytest.raises(AdqlError, match="Unknown column"):
        run_adql('SELECT "ra"" FROM corot.targets; --" FROM corot.targets')
