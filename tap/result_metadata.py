"""What a TAP result carries besides its rows (TAP 1.1 §4, DALI 1.1 §5.4, VOTable 1.4 §3).

- the echo INFOs (``standardID``, ``QUERY``, ``LANG``, ...) TAP 1.1 §4.1 and DALI 1.1 §5.4.3
  recommend;
- the coordinate and time systems: a COOSYS (ICRS) for equatorial positions and TIMESYS
  elements whose time scales depend on where a time column comes from (CoRoT light-curve
  times are MJD in TT, run windows and ISO dates are UTC);
- a DataLink service descriptor (DataLink 1.1 §4) for every column holding ObsCore
  publisher DIDs, so that clients such as TOPCAT offer the products' links on each row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tap.adql import OutputColumn
from vo_service.metadata import Catalogue
from vo_service.votable.descriptors import DATALINK_STANDARD_ID, links_descriptor
from vo_service.votable.envelope import Info
from vo_service.votable.fields import GEOMETRY_ARRAYSIZE, CooSys, TimeSys, field_ids, resolve_field

TAP_STANDARD_ID = "ivo://ivoa.net/std/TAP"

COOSYS = CooSys(id="coosys", system="ICRS", epoch="J2000")
MJD_TT = TimeSys(timescale="TT", refposition="TOPOCENTER", timeorigin="MJD-origin", id="time_mjd_tt")
MJD_UTC = TimeSys(timescale="UTC", refposition="TOPOCENTER", timeorigin="MJD-origin", id="time_mjd_utc")
ISO_UTC = TimeSys(timescale="UTC", refposition="TOPOCENTER", id="time_iso_utc")

#: Time systems of the numeric time columns of the catalogue, by ``schema.table.column``.
NUMERIC_TIME_SYSTEMS: Mapping[str, TimeSys] = {
    "corot.lightcurves.t_min": MJD_TT,
    "corot.lightcurves.t_max": MJD_TT,
    "ivoa.obscore.t_min": MJD_TT,
    "ivoa.obscore.t_max": MJD_TT,
    "corot.runs.t_start": MJD_UTC,
    "corot.runs.t_end": MJD_UTC,
}

_TIME_UCDS = ("time.epoch", "time.start", "time.end", "time.creation", "time.processing", "time.release")


def declared_xtypes(columns: Sequence[OutputColumn], catalogue: Catalogue) -> list[OutputColumn]:
    """Result columns with the xtype TAP_SCHEMA declares for the columns they pass through.

    TAP 1.1 §4.2: datatype, arraysize and xtype of a FIELD come from TAP_SCHEMA.  A column
    selected unchanged (``source`` set, same datatype) whose xtype was not carried through
    gets the catalogue's (e.g. ``adql:REGION`` of an STC-S string).
    """
    return [_with_declared_xtype(column, catalogue) for column in columns]


def _with_declared_xtype(column: OutputColumn, catalogue: Catalogue) -> OutputColumn:
    if column.xtype is not None or column.source is None:
        return column
    schema_table, _, name = column.source.rpartition(".")
    if not catalogue.has_table(schema_table) or not catalogue.table(schema_table).has_column(name):
        return column
    declared = catalogue.table(schema_table).column(name)
    if declared.xtype is None or declared.datatype != column.datatype:
        return column
    return column.model_copy(update={"xtype": declared.xtype})


def _primary_ucd(column: OutputColumn) -> str:
    return (column.ucd or "").split(";", 1)[0].strip().lower()


def _is_position(column: OutputColumn) -> bool:
    return _primary_ucd(column).startswith("pos.eq") or column.xtype in GEOMETRY_ARRAYSIZE


def time_system(column: OutputColumn) -> TimeSys | None:
    """The TIMESYS a time column refers to, or None when it is not known for sure.

    ISO timestamps of the catalogue are UTC (DALI 1.1 §3.3.3); numeric times need a known
    origin column, since computed values may be in any unit or scale.
    """
    if column.xtype == "timestamp":
        return ISO_UTC if column.source is not None else None
    if column.source is not None:
        return NUMERIC_TIME_SYSTEMS.get(column.source.lower())
    return None


def systems_and_refs(
    columns: Sequence[OutputColumn],
) -> tuple[CooSys | None, list[TimeSys], dict[str, str | None]]:
    """The COOSYS, the TIMESYS elements and the ``ref`` of every time-like FIELD."""
    coosys = COOSYS if any(_is_position(c) for c in columns) else None
    refs: dict[str, str | None] = {}
    used: dict[str, TimeSys] = {}
    for column in columns:
        is_time = column.xtype == "timestamp" or _primary_ucd(column).startswith(_TIME_UCDS)
        is_array = column.arraysize is not None and column.datatype not in ("char", "unicodeChar")
        if not is_time or is_array:
            continue
        system = time_system(column)
        refs[column.name] = system.id if system is not None else None
        if system is not None:
            used[system.id] = system
    return coosys, list(used.values()), refs


def echo_infos(
    *, query: str, lang: str, maxrec: int, runid: str | None = None, extra: Sequence[Info] = ()
) -> list[Info]:
    """INFOs echoing the request (TAP 1.1 §4.1, DALI 1.1 §5.4.3)."""
    infos = [
        Info("standardID", TAP_STANDARD_ID),
        Info("QUERY", query),
        Info("LANG", lang),
        Info("MAXREC", str(maxrec)),
    ]
    if runid:
        infos.append(Info("RUNID", runid))
    return [*infos, *extra]


def _is_publisher_did(column: OutputColumn) -> bool:
    return (column.ucd or "").strip().lower() == "meta.ref.ivoid" or (
        (column.source or "").lower() == "ivoa.obscore.obs_publisher_did"
    )


def datalink_descriptors(
    columns: Sequence[OutputColumn],
    datalink_url: str,
    coosys: CooSys | None,
    timesys: Sequence[TimeSys],
) -> list[Any]:
    """``RESOURCE type="meta" utype="adhoc:service"`` elements (DataLink 1.1 §4).

    One per column of publisher DIDs; its ``ID`` input parameter refers to that column's
    FIELD, whose XML ID is computed exactly as the VOTable writer assigns it.
    """
    specs = [resolve_field(column) for column in columns]
    reserved = {system.id for system in timesys} | ({coosys.id} if coosys is not None else set())
    ids = field_ids(specs, reserved)
    descriptors = []
    for column, field_id in zip(columns, ids, strict=True):
        if field_id is None or not _is_publisher_did(column):
            continue
        descriptors.append(links_descriptor(
            datalink_url, field_id,
            f"DataLink service for the products identified in column {column.name}: files, previews and "
            "time cut-outs of each light curve.",
            name=f"datalink_{field_id}", xml_id=f"datalink_{field_id}",
        ).element())
    return descriptors


__all__ = [
    "COOSYS",
    "DATALINK_STANDARD_ID",
    "ISO_UTC",
    "MJD_TT",
    "MJD_UTC",
    "NUMERIC_TIME_SYSTEMS",
    "TAP_STANDARD_ID",
    "datalink_descriptors",
    "declared_xtypes",
    "echo_infos",
    "systems_and_refs",
    "time_system",
]
