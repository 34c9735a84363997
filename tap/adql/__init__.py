"""ADQL 2.1 for the CoRoT TAP service: parse → annotate → translate, each stage pure.

**Why our own grammar on lark.** The parser is written from the BNF of ADQL 2.1 (Appendix A
of the recommendation) as a lark LALR(1) grammar (:mod:`tap.adql.grammar`). LALR gives
linear-time parsing with positions for every token, so a typical query parses, validates and
translates in a couple of milliseconds and every syntax error names its line, column and
what was expected; the grammar is short enough to review against the standard line by line.
``queryparser-python3`` (the translator behind Daiquiri) targets PostgreSQL with pg_sphere
only (its MySQL output is no longer maintained), emits SQL text with the query's literals
inlined rather than bound, and leaves name validation to the caller. ``sqlglot`` parses "SQL
in general": it accepts dialect syntax that is not ADQL (and would have to be fenced off
construct by construct to keep DDL, table functions and arbitrary backend functions
unreachable), knows nothing of ADQL geometry or its reserved words, and gives no handle on
the spatial rewrites (HEALPix index ranges, crossmatch bands) this service relies on. An own
grammar accepts exactly ADQL, so the translator can be an allow-list: whatever it does not
know, it cannot emit.

Stages:

* :func:`parse` — text to a typed syntax tree (:mod:`tap.adql.nodes`);
* :func:`annotate` — names resolved against a :class:`vo_service.metadata.Catalogue`,
  types checked, result columns with their VOTable metadata computed;
* :func:`translate_duckdb` — parameterised DuckDB SQL for the store.

Every problem is an :class:`AdqlError` (a :class:`vo_service.faults.UsageFault`) whose
message carries the position.  :data:`LANGUAGE_FEATURES` lists the optional features and
user-defined functions for the TAPRegExt capabilities.
"""

from __future__ import annotations

from tap.adql.annotate import annotate
from tap.adql.annotated import AnnotatedQuery, OutputColumn
from tap.adql.errors import AdqlError
from tap.adql.features import LANGUAGE_FEATURES, LanguageFeature
from tap.adql.nodes import Query
from tap.adql.parser import parse
from tap.adql.translate_duckdb import RelationSql, translate_duckdb

__all__ = [
    "LANGUAGE_FEATURES",
    "AdqlError",
    "AnnotatedQuery",
    "LanguageFeature",
    "OutputColumn",
    "Query",
    "RelationSql",
    "annotate",
    "parse",
    "translate_duckdb",
]
