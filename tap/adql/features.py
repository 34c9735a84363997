"""The optional ADQL language features this service supports, for the TAP capabilities.

TAPRegExt 1.0 §2.3 declares them as ``languageFeatures`` groups (a type URI) of ``feature``
elements (a ``form`` and a description).  The type URIs are those of ADQL 2.1 §4.1 and
Appendix B, written in all lower case as ADQL 2.1 §4.1 requires (IVOIDs compare
case-insensitively).  User-defined functions (§4.3.2) use the signature form
``name(arg TYPE, ...) -> TYPE``, with argument names that contain no underscore so that
TOPCAT's ADQL parser (VOLLT ``FunctionDef.parse``) accepts every form but the array one.

Bitwise operators and hexadecimal literals were part of PR-ADQL-2.1-20180112 under
``#features-adql-bitwise`` and removed before the recommendation; they are still accepted
and declared under that URI, which TOPCAT knows.
"""

from __future__ import annotations

from dataclasses import dataclass

TAPREGEXT = "ivo://ivoa.net/std/tapregext"

FEATURES_ADQLGEO = f"{TAPREGEXT}#features-adqlgeo"
FEATURES_UDF = f"{TAPREGEXT}#features-udf"
FEATURES_STRING = f"{TAPREGEXT}#features-adql-string"
FEATURES_OFFSET = f"{TAPREGEXT}#features-adql-offset"
FEATURES_TYPE = f"{TAPREGEXT}#features-adql-type"
FEATURES_UNIT = f"{TAPREGEXT}#features-adql-unit"
FEATURES_COMMON_TABLE = f"{TAPREGEXT}#features-adql-common-table"
FEATURES_SETS = f"{TAPREGEXT}#features-adql-sets"
FEATURES_CONDITIONAL = f"{TAPREGEXT}#features-adql-conditional"
FEATURES_BITWISE = f"{TAPREGEXT}#features-adql-bitwise"


@dataclass(frozen=True, slots=True)
class LanguageFeature:
    """One ``<feature>`` of a ``<languageFeatures type=...>`` group (TAPRegExt 1.0 §2.3)."""

    type: str
    form: str
    description: str


def _geo(form: str, description: str) -> LanguageFeature:
    return LanguageFeature(FEATURES_ADQLGEO, form, description)


def _udf(form: str, description: str) -> LanguageFeature:
    return LanguageFeature(FEATURES_UDF, form, description)


#: Every supported optional feature, grouped by type URI in declaration order.
LANGUAGE_FEATURES: tuple[LanguageFeature, ...] = (
    _geo("AREA", "Area of a geometry in square degrees."),
    _geo("BOX", "A box on the sky (ADQL 2.1 §4.2.4); converted to a 4-vertex POLYGON."),
    _geo("CENTROID", "Centroid of a geometry, as a POINT."),
    _geo("CIRCLE", "A circle on the sky: CIRCLE(ra, dec, radius) or CIRCLE(point, radius), degrees."),
    _geo("CONTAINS", "1 if the first geometry is inside (or on the edge of) the second, else 0."),
    _geo("COORD1", "First coordinate (right ascension) of a POINT, degrees."),
    _geo("COORD2", "Second coordinate (declination) of a POINT, degrees."),
    _geo("COORDSYS", "Coordinate system of a geometry (always ICRS here)."),
    _geo(
        "DISTANCE",
        "Great-circle distance in degrees between two POINTs or four coordinates. "
        "DISTANCE(...) < r is the preferred form for cone searches and crossmatches.",
    ),
    _geo("INTERSECTS", "1 if two geometries overlap, else 0."),
    _geo("POINT", "A position on the sky: POINT(ra, dec), degrees, ICRS."),
    _geo("POLYGON", "A spherical polygon (great-circle edges) from three or more vertices."),
    _geo("REGION", "A shape from an STC-S string: POSITION, CIRCLE, BOX or POLYGON (ICRS)."),
    LanguageFeature(FEATURES_STRING, "LOWER", "Lower-case conversion of a string."),
    LanguageFeature(FEATURES_STRING, "UPPER", "Upper-case conversion of a string."),
    LanguageFeature(FEATURES_STRING, "ILIKE", "Case-insensitive LIKE."),
    LanguageFeature(FEATURES_OFFSET, "OFFSET", "Skip the first rows of the result (applied before TOP)."),
    LanguageFeature(
        FEATURES_TYPE,
        "CAST",
        "Type conversion to SMALLINT, INTEGER, BIGINT, REAL, DOUBLE "
        "PRECISION, CHAR(n), VARCHAR(n), TIMESTAMP, and from DALI strings to POINT, CIRCLE, POLYGON.",
    ),
    LanguageFeature(FEATURES_UNIT, "IN_UNIT", "Conversion of a value with a known unit to another VOUnit."),
    LanguageFeature(FEATURES_COMMON_TABLE, "WITH", "Common table expressions (non-recursive)."),
    LanguageFeature(FEATURES_SETS, "UNION", "Union of two query results (UNION ALL keeps duplicates)."),
    LanguageFeature(FEATURES_SETS, "EXCEPT", "Rows of the first result not in the second."),
    LanguageFeature(FEATURES_SETS, "INTERSECT", "Rows in both results."),
    LanguageFeature(FEATURES_CONDITIONAL, "COALESCE", "The first of its arguments that is not NULL."),
    LanguageFeature(FEATURES_BITWISE, "BIT_AND", "Bitwise AND of integers: x & y."),
    LanguageFeature(FEATURES_BITWISE, "BIT_OR", "Bitwise OR of integers: x | y."),
    LanguageFeature(FEATURES_BITWISE, "BIT_XOR", "Bitwise exclusive OR of integers: x ^ y."),
    LanguageFeature(FEATURES_BITWISE, "BIT_NOT", "Bitwise NOT of an integer: ~x."),
    _udf(
        "ivo_healpix_index(hpxOrder INTEGER, long DOUBLE PRECISION, lat DOUBLE PRECISION) -> BIGINT",
        "Index of the HEALPix cell (NESTED scheme) of order hpxOrder containing the position (long, lat) "
        "in degrees (IVOA UDF catalogue).",
    ),
    _udf(
        "ivo_healpix_index(hpxOrder INTEGER, pos POINT) -> BIGINT",
        "Index of the HEALPix cell (NESTED scheme) of order hpxOrder containing pos (IVOA UDF catalogue).",
    ),
    _udf(
        "ivo_healpix_center(hpxOrder INTEGER, hpxIndex BIGINT) -> POINT",
        "Centre of the HEALPix cell hpxIndex (NESTED scheme) of order hpxOrder (IVOA UDF catalogue).",
    ),
    _udf(
        "ivo_hasword(haystack TEXT, needle TEXT) -> INTEGER",
        "1 if every word of needle occurs as a word of haystack, compared case-insensitively, else 0 "
        "(IVOA UDF catalogue; no stemming).",
    ),
    _udf(
        "ivo_nocasematch(value TEXT, pattern TEXT) -> INTEGER",
        "1 if value matches the LIKE pattern case-insensitively, else 0 (IVOA UDF catalogue).",
    ),
    _udf(
        "ivo_hashlist_has(hashlist TEXT, item TEXT) -> INTEGER",
        "1 if item is one of the #-separated words of hashlist, compared case-insensitively (IVOA UDF catalogue).",
    ),
    _udf(
        "ivo_string_agg(expr TEXT, delim TEXT) -> TEXT",
        "Aggregate: the non-NULL values of expr joined by delim (IVOA UDF catalogue).",
    ),
    _udf(
        "ivo_interval_overlaps(lowa DOUBLE PRECISION, higha DOUBLE PRECISION, lowb DOUBLE PRECISION, "
        "highb DOUBLE PRECISION) -> INTEGER",
        "1 if the intervals [lowa, higha] and [lowb, highb] overlap (ends included), else 0 (IVOA UDF catalogue).",
    ),
    _udf(
        "ivo_histogram(val DOUBLE PRECISION, lower DOUBLE PRECISION, upper DOUBLE PRECISION, "
        "nbins INTEGER) -> INTEGER[]",
        "Aggregate: counts of val in nbins equal bins between lower and upper, preceded by the underflow "
        "(including NULLs) and followed by the overflow count (IVOA UDF catalogue).",
    ),
    _udf(
        "gavo_histogram(val DOUBLE PRECISION, lower DOUBLE PRECISION, upper DOUBLE PRECISION, "
        "nbins INTEGER) -> INTEGER[]",
        "The same as ivo_histogram, under its older DaCHS name.",
    ),
    _udf(
        "ivo_to_mjd(d TIMESTAMP) -> DOUBLE PRECISION",
        "Modified Julian Date of a timestamp (or ISO string), without time-scale corrections (IVOA UDF catalogue).",
    ),
    _udf(
        "ivo_to_jd(d TIMESTAMP) -> DOUBLE PRECISION",
        "Julian Date of a timestamp (or ISO string), without time-scale corrections (IVOA UDF catalogue).",
    ),
    _udf(
        "ivo_normal_random(mu DOUBLE PRECISION, sigma DOUBLE PRECISION) -> DOUBLE PRECISION",
        "A random number from the normal distribution N(mu, sigma) (IVOA UDF catalogue).",
    ),
)


__all__ = [
    "FEATURES_ADQLGEO",
    "FEATURES_BITWISE",
    "FEATURES_COMMON_TABLE",
    "FEATURES_CONDITIONAL",
    "FEATURES_OFFSET",
    "FEATURES_SETS",
    "FEATURES_STRING",
    "FEATURES_TYPE",
    "FEATURES_UDF",
    "FEATURES_UNIT",
    "LANGUAGE_FEATURES",
    "TAPREGEXT",
    "LanguageFeature",
]
