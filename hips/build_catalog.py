"""Building a catalogue HiPS (HiPS 1.0 §4.2.2, §4.3.2, §4.4.3).

Sources are spread over the orders by brightness: each cell of the lowest order takes its
brightest sources up to a quota, each cell of the next order the brightest of those left,
and so on until none is left, so a client zooming in sees fainter stars appear.  Tiles are
TSV: a ``# Completeness = N/M`` comment, then the header line, then the rows — clients such
as Aladin Lite skip exactly these two lines.  As CDS Hipsgen-cat writes it and Aladin reads
it, M is the number of sources of the catalogue in the tile's cell and N how many of them a
client holds once it has this tile and its ancestors; N = M marks the last tile of its
branch (Aladin then fetches nothing below it), and N/M is the completeness Aladin shows.
Aladin parses both numbers with no blank around the slash.  ``Norder1/Allsky.tsv`` and ``Norder2/Allsky.tsv``
concatenate the tiles of those orders; ``Metadata.xml`` (and ``metadata.xml``) is a VOTable
with the column descriptions, ``Moc.fits`` the coverage of the sources.

Only tiles whose content changed are rewritten, so unchanged tiles keep their ETag.
"""

from __future__ import annotations

import hashlib
import io
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import astropy.units as u
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from astropy.coordinates import Latitude, Longitude
from mocpy import MOC

from hips.geometry import tile_path
from hips.imagetiles import atomic_write
from hips.manifest import Manifest
from hips.properties import hips_date, initial_view, read_properties, write_properties
from hips.report import BuildReport
from vo_service.metadata import ColumnMeta
from vo_service.spatial import healpix_index
from vo_service.votable.envelope import metadata_document
from vo_service.votable.fields import CooSys, resolve_field, resolve_refs

#: Orders packed in Allsky files (Aladin Lite reads exactly these two).
ALLSKY_ORDERS = (1, 2)


@dataclass(frozen=True)
class CatalogSurveySpec:
    """Quotas of sources per tile: small at the Allsky orders, a few hundred deeper
    (HiPS 1.0 §4.2.2 best practice)."""

    order_min: int = 1
    max_order: int = 11
    quotas: tuple[tuple[int, int], ...] = ((1, 12), (2, 30), (3, 100))
    default_quota: int = 250

    def quota(self, order: int) -> int:
        return dict(self.quotas).get(order, self.default_quota)

    def params(self) -> dict[str, object]:
        return {"order_min": self.order_min, "max_order": self.max_order, "quotas": [list(q) for q in self.quotas],
                "default_quota": self.default_quota}


@dataclass
class Placement:
    """Order and cell of every source; sources in tile order (by cell, brightest first).

    ``remaining[(k, cell)]``: sources of the cell not shown at orders below k;
    ``population[(k, cell)]``: all sources of the cell.
    """

    order_of: npt.NDArray[np.int64]
    cell_of: npt.NDArray[np.int64]
    sequence: npt.NDArray[np.int64]
    remaining: dict[tuple[int, int], int] = field(default_factory=dict)
    population: dict[tuple[int, int], int] = field(default_factory=dict)
    deepest: int = 0

    def completeness(self, order: int, cell: int, rows: int) -> tuple[int, int]:
        """(N, M) of the tile (HiPS catalogue tiles as CDS Hipsgen-cat writes them): M sources
        in the cell, N of them in this tile and its ancestors."""
        total = self.population[(order, cell)]
        left = self.remaining[(order, cell)] - rows
        return total - left, total


def brightness_rank(magnitudes: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
    """Rank of each source, brightest first, unknown magnitudes last (stable)."""
    key = np.where(np.isfinite(magnitudes), magnitudes, np.inf)
    order = np.argsort(key, kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank


def place_sources(lon: npt.NDArray[np.float64], lat: npt.NDArray[np.float64], rank: npt.NDArray[np.int64],
                  spec: CatalogSurveySpec) -> Placement:
    """Assign every source to the lowest order whose cell quota still has room for it."""
    n = len(lon)
    deep = healpix_index(lon, lat, spec.max_order)
    order_of = np.full(n, -1, dtype=np.int64)
    cell_of = np.full(n, -1, dtype=np.int64)
    totals: dict[tuple[int, int], int] = {}
    population: dict[tuple[int, int], int] = {}
    remaining = np.arange(n)
    deepest = spec.order_min
    for order in range(spec.order_min, spec.max_order + 1):
        if remaining.size == 0:
            break
        deepest = order
        every, counts = np.unique(deep >> (2 * (spec.max_order - order)), return_counts=True)
        population.update(zip(((order, c) for c in every.tolist()), counts.tolist(), strict=True))
        cells = deep[remaining] >> (2 * (spec.max_order - order))
        sort = np.lexsort((rank[remaining], cells))
        idx, sorted_cells = remaining[sort], cells[sort]
        starts = np.flatnonzero(np.r_[True, sorted_cells[1:] != sorted_cells[:-1]])
        sizes = np.diff(np.r_[starts, len(sorted_cells)])
        position = np.arange(len(sorted_cells)) - np.repeat(starts, sizes)
        for cell, size in zip(sorted_cells[starts].tolist(), sizes.tolist(), strict=True):
            totals[(order, int(cell))] = int(size)
        take = position < spec.quota(order) if order < spec.max_order else np.ones(len(idx), dtype=bool)
        order_of[idx[take]] = order
        cell_of[idx[take]] = sorted_cells[take]
        remaining = idx[~take]
    sequence = np.lexsort((rank, cell_of, order_of))
    return Placement(order_of, cell_of, sequence, totals, population, deepest)


def _tsv_ready(table: pa.Table) -> pa.Table:
    """No TAB, CR or LF inside values (they would break the TSV lines), and NaN written as
    the empty field, TSV's null (HiPS 1.0 §4.2.2)."""
    columns = []
    for column in table.columns:
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            columns.append(pc.replace_substring_regex(column, pattern=r"[\t\r\n]", replacement=" "))
        elif pa.types.is_floating(column.type):
            columns.append(pc.if_else(pc.is_nan(column), pa.scalar(None, column.type), column))
        else:
            columns.append(column)
    return pa.table(columns, names=table.column_names)


def tsv_rows(table: pa.Table) -> bytes:
    if table.num_rows == 0:
        return b""
    buffer = io.BytesIO()
    pacsv.write_csv(table, buffer, pacsv.WriteOptions(include_header=False, delimiter="\t", quoting_style="none"))
    return buffer.getvalue()


def metadata_votable(columns: Sequence[ColumnMeta], table_name: str, description: str) -> bytes:
    """``Metadata.xml``: the columns as VOTable FIELDs (names, units, UCDs, descriptions)."""
    specs = [resolve_field(c) for c in columns]
    coosys = CooSys()
    refs = resolve_refs(specs, coosys, ())
    return metadata_document(specs, refs, encoding="tabledata", version="1.4", coosys=coosys,
                             table_name=table_name, description=description)


def catalogue_files(table: pa.Table, columns: Sequence[ColumnMeta], placement: Placement) -> dict[str, bytes]:
    """Every tile and Allsky file of the catalogue HiPS, by relative path."""
    header = ("\t".join(c.name for c in columns) + "\n").encode("utf-8")
    ordered = _tsv_ready(table.select([c.name for c in columns])).take(pa.array(placement.sequence))
    orders = placement.order_of[placement.sequence]
    cells = placement.cell_of[placement.sequence]
    files: dict[str, bytes] = {}
    allsky: dict[int, list[bytes]] = {o: [] for o in ALLSKY_ORDERS}
    bounds = np.flatnonzero(np.r_[True, (orders[1:] != orders[:-1]) | (cells[1:] != cells[:-1]), True])
    for start, stop in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
        order, cell = int(orders[start]), int(cells[start])
        loaded, total = placement.completeness(order, cell, stop - start)
        rows = tsv_rows(ordered.slice(start, stop - start))
        comment = f"# Completeness = {loaded}/{total}\n".encode()
        files[tile_path(order, cell, "tsv")] = comment + header + rows
        if order in allsky:
            allsky[order].append(rows)
    for order, parts in allsky.items():
        count = sum(part.count(b"\n") for part in parts)
        comment = f"# Allsky of order {order}: {count} sources\n".encode()
        files[f"Norder{order}/Allsky.tsv"] = comment + header + b"".join(parts)
    return files


def table_digest(table: pa.Table, spec: CatalogSurveySpec, columns: Sequence[ColumnMeta]) -> str:
    sha = hashlib.sha256(repr((spec.params(), [c.model_dump() for c in columns])).encode())
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    sha.update(sink.getvalue().to_pybytes())
    return sha.hexdigest()


def build_catalog_survey(root: Path, table: pa.Table, columns: Sequence[ColumnMeta], spec: CatalogSurveySpec,
                         metadata: Mapping[str, object], *, ra: str = "ra", dec: str = "dec", magnitude: str = "vmag",
                         table_name: str = "", description: str = "", name: str = "targets",
                         full: bool = False) -> BuildReport:
    """Build or update the catalogue HiPS of ``table`` (one row per source) in ``root``."""
    started = time.perf_counter()
    report = BuildReport(survey=name, inputs=table.num_rows)
    root.mkdir(parents=True, exist_ok=True)
    old = Manifest.load(root)
    digest = table_digest(table, spec, columns)
    if not full and old.digest == digest and (root / "properties").exists():
        report.seconds = time.perf_counter() - started
        return report
    report.changed = True
    report.inspected = table.num_rows
    lon = np.asarray(table.column(ra).to_numpy(zero_copy_only=False), dtype=np.float64)
    lat = np.asarray(table.column(dec).to_numpy(zero_copy_only=False), dtype=np.float64)
    keep = np.isfinite(lon) & np.isfinite(lat)
    if not keep.all():
        report.skipped.append((table_name or name, f"{int((~keep).sum())} rows without a position"))
        table, lon, lat = table.filter(pa.array(keep)), lon[keep], lat[keep]
    magnitudes = np.asarray(table.column(magnitude).to_numpy(zero_copy_only=False), dtype=np.float64)
    placement = place_sources(lon, lat, brightness_rank(magnitudes), spec)
    files = catalogue_files(table, columns, placement)
    meta = metadata_votable(columns, table_name or name, description)
    files["Metadata.xml"] = meta
    files["metadata.xml"] = meta

    for relative, payload in files.items():
        path = root / relative
        if path.exists() and path.read_bytes() == payload:
            continue
        atomic_write(path, payload)
        report.tiles_rendered += 1
    for stale in sorted(root.glob("Norder*/**/*.tsv")):
        if str(stale.relative_to(root)) not in files:
            stale.unlink()
            report.tiles_removed += 1

    moc = MOC.from_lonlat(Longitude(lon * u.deg), Latitude(lat * u.deg), max_norder=max(placement.deepest, 8))
    moc.save(root / "Moc.fits", format="fits", overwrite=True)
    previous = read_properties(root / "properties")
    view = initial_view(lon, lat)
    values: dict[str, object] = dict(metadata)
    values.update({
        "dataproduct_type": "catalog",
        "hips_version": "1.4",
        "hips_release_date": hips_date(),
        "hips_creation_date": previous.get("hips_creation_date") or old.created or hips_date(),
        "hips_status": metadata.get("hips_status", "public master clonableOnce"),
        "hips_frame": "equatorial",
        "hips_order": placement.deepest,
        "hips_order_min": spec.order_min,
        "hips_tile_format": "tsv",
        "hips_cat_nrows": table.num_rows,
        "hips_initial_ra": view[0],
        "hips_initial_dec": view[1],
        "hips_initial_fov": view[2],
        "moc_sky_fraction": f"{moc.sky_fraction:.6g}",
    })
    write_properties(root / "properties", values)
    Manifest(params=spec.params(), digest=digest, created=str(values["hips_creation_date"])).save(root)
    report.seconds = time.perf_counter() - started
    return report


__all__ = [
    "ALLSKY_ORDERS",
    "CatalogSurveySpec",
    "Placement",
    "brightness_rank",
    "build_catalog_survey",
    "catalogue_files",
    "metadata_votable",
    "place_sources",
]
