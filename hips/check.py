"""A HiPS checker: is a survey folder complete and consistent with its metadata?

Image HiPS (HiPS 1.0 §4.1-§4.4): the mandatory properties are there and well formed; at
every order from ``hips_order_min`` to ``hips_order`` exactly the tiles under ``Moc.fits``
exist, in every declared format, with the declared width and BITPIX, under the right
``DirD`` folder, and no tile exists without its parent; the Allsky files have the layout
of §4.3.2.

Catalogue HiPS (§4.2.2): ``Metadata.xml`` declares the columns with RA/Dec UCDs; every tile
starts with a ``# Completeness = N/M`` line (as CDS Hipsgen-cat writes it and Aladin reads
it: M sources in the tile's cell, N of them in the tile and its ancestors) and the header,
holds rows all inside its cell, and has children exactly when N < M; Allsky files
concatenate their order; the row count matches ``hips_cat_nrows``.
"""

from __future__ import annotations

import re
import sys
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
from astropy import units
from astropy.io import fits
from lxml import etree
from matplotlib import image as mpimg
from mocpy import MOC

from hips.geometry import ALLSKY_MAX_ORDER, ALLSKY_TILE_WIDTH, allsky_grid, tile_path
from hips.pngio import png_size
from hips.properties import MANDATORY, read_properties
from vo_service.spatial import healpix_index

TILE_FORMATS = {"fits", "png", "jpeg", "tsv"}
EXTENSIONS = {"fits": "fits", "png": "png", "jpeg": "jpg", "tsv": "tsv"}
#: Aladin parses both numbers with ``Integer.parseInt``: no blank around the slash.
COMPLETENESS = re.compile(r"^# Completeness = ([0-9]+)/([0-9]+)$")
NPIX_FILE = re.compile(r"^Npix([0-9]+)\.([a-z]+)$")
VOTABLE_NS = "http://www.ivoa.net/xml/VOTable/v1.3"


@dataclass
class CheckResult:
    survey: Path
    errors: list[str] = field(default_factory=list)
    tiles: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    def fail(self, message: str) -> None:
        self.errors.append(message)


def scan_tiles(root: Path, order: int, ext: str, result: CheckResult) -> set[int]:
    """Tiles present at ``order``; misplaced ones (wrong DirD) are reported."""
    folder = root / f"Norder{order}"
    found: set[int] = set()
    if not folder.is_dir():
        return found
    for path in folder.glob(f"Dir*/Npix*.{ext}"):
        match = NPIX_FILE.match(path.name)
        if match is None:
            result.fail(f"unexpected file {path.relative_to(root)}")
            continue
        npix = int(match.group(1))
        if path.parent.name != f"Dir{(npix // 10000) * 10000}":
            result.fail(f"{path.relative_to(root)} is not in its Dir folder")
        found.add(npix)
    return found


def moc_cells(moc: MOC, order: int) -> npt.NDArray[np.int64]:
    """Cells of ``order`` covered by a MOC (coarser cells expanded, finer ones merged)."""
    depth = int(moc.max_order)
    if depth > order:
        moc = moc.degrade_to_order(order)
        depth = order
    cells = np.asarray(moc.flatten(), dtype=np.int64)
    if depth < order:
        shift = 2 * (order - depth)
        cells = (cells[:, None] * (1 << shift) + np.arange(1 << shift)[None, :]).ravel()
    return np.unique(cells)


def _int(props: dict[str, str], key: str, result: CheckResult) -> int | None:
    try:
        return int(props[key])
    except (KeyError, ValueError):
        result.fail(f"properties: {key} missing or not an integer")
        return None


def check_properties(props: dict[str, str], result: CheckResult) -> None:
    for key in MANDATORY:
        if not props.get(key):
            result.fail(f"properties: mandatory keyword {key} missing")
    if props.get("hips_frame") not in (None, "equatorial", "galactic", "ecliptic"):
        result.fail(f"properties: unknown hips_frame {props.get('hips_frame')}")
    release = props.get("hips_release_date", "")
    if release and not re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\dZ$", release):
        result.fail(f"properties: hips_release_date {release!r} is not YYYY-mm-ddTHH:MMZ")
    formats = props.get("hips_tile_format", "").split()
    if any(f not in TILE_FORMATS for f in formats):
        result.fail(f"properties: unknown tile format in {formats}")
    status = set(props.get("hips_status", "").split())
    if status and not status & {"public", "private"}:
        result.fail("properties: hips_status lacks public/private")


def check_image(root: Path, props: dict[str, str], result: CheckResult) -> None:
    order = _int(props, "hips_order", result)
    width = _int(props, "hips_tile_width", result)
    order_min = int(props.get("hips_order_min", "0"))
    bitpix = int(props.get("hips_pixel_bitpix", "-32"))
    if order is None or width is None:
        return
    if width < 1 or width & (width - 1):
        result.fail(f"properties: hips_tile_width {width} is not a power of two")
        return
    try:
        moc = MOC.from_fits(str(root / "Moc.fits"))
    except (OSError, ValueError) as exc:
        result.fail(f"Moc.fits unreadable: {exc}")
        return
    deep = moc_cells(moc, order)
    formats = [EXTENSIONS[f] for f in props.get("hips_tile_format", "").split() if f in EXTENSIONS]
    for ext in formats:
        present_below: set[int] | None = None
        for k in range(order_min, order + 1):
            expected = set((deep >> (2 * (order - k))).tolist())
            present = scan_tiles(root, k, ext, result)
            for npix in sorted(expected - present)[:20]:
                result.fail(f"missing tile {tile_path(k, npix, ext)}")
            for npix in sorted(present - expected)[:20]:
                result.fail(f"tile outside the MOC: {tile_path(k, npix, ext)}")
            if present_below is not None:
                for npix in sorted(n for n in present if n // 4 not in present_below)[:20]:
                    result.fail(f"tile without parent: {tile_path(k, npix, ext)}")
            present_below = present
            for npix in sorted(present & expected):
                _check_image_tile(root / tile_path(k, npix, ext), ext, width, bitpix, result)
                result.tiles += 1
        for k in range(order_min, min(order, ALLSKY_MAX_ORDER) + 1):
            _check_allsky(root / f"Norder{k}" / f"Allsky.{ext}", ext, k, width, result)


def _check_image_tile(path: Path, ext: str, width: int, bitpix: int, result: CheckResult) -> None:
    name = str(path)
    if ext == "fits":
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                with fits.open(path, memmap=False) as hdul:
                    header = hdul[0].header
                    data = hdul[0].data
            if data is None or data.shape != (width, width):
                result.fail(f"{name}: shape {None if data is None else data.shape}, expected {(width, width)}")
            if header.get("BITPIX") != bitpix:
                result.fail(f"{name}: BITPIX {header.get('BITPIX')}, properties say {bitpix}")
        except (OSError, ValueError, Warning) as exc:
            result.fail(f"{name}: unreadable FITS ({exc})")
    else:
        try:
            size = png_size(path.read_bytes()) if ext == "png" else None
        except ValueError as exc:
            result.fail(f"{name}: {exc}")
            return
        if size is not None and size != (width, width):
            result.fail(f"{name}: {size[0]}x{size[1]} pixels, expected {width}x{width}")
        _decode_image(path, result)


def _decode_image(path: Path, result: CheckResult) -> None:
    try:
        mpimg.imread(path)
    except (OSError, ValueError, SyntaxError) as exc:
        result.fail(f"{path}: cannot be decoded ({exc})")


def _check_allsky(path: Path, ext: str, order: int, width: int, result: CheckResult) -> None:
    if not path.exists():
        result.fail(f"missing {path.name} at order {order}")
        return
    columns, rows = allsky_grid(order)
    if ext == "fits":
        with fits.open(path, memmap=False) as hdul:
            shape = hdul[0].data.shape
        height_px, width_px = shape
    elif ext == "png":
        width_px, height_px = png_size(path.read_bytes())
    else:
        return
    side = width_px // columns
    if side * columns != width_px or side * rows != height_px or side & (side - 1) or side > max(width, 1):
        result.fail(f"Norder{order}/{path.name}: {width_px}x{height_px} is not {columns}x{rows} tiles of a "
                    f"power-of-two side (expected {min(ALLSKY_TILE_WIDTH, width)})")


def metadata_fields(path: Path, result: CheckResult) -> list[tuple[str, str]]:
    """(name, ucd) of the FIELDs of a catalogue HiPS ``Metadata.xml``."""
    try:
        tree = etree.parse(str(path))
    except (OSError, etree.XMLSyntaxError) as exc:
        result.fail(f"{path.name}: {exc}")
        return []
    fields = [(f.get("name", ""), f.get("ucd", "")) for f in tree.iter(f"{{{VOTABLE_NS}}}FIELD", "FIELD")]
    if not any(u.startswith("pos.eq.ra") for _, u in fields) or not any(u.startswith("pos.eq.dec") for _, u in fields):
        result.fail(f"{path.name}: no FIELD with a pos.eq.ra / pos.eq.dec UCD")
    return fields


def _read_tsv(path: Path, header: str, result: CheckResult) -> tuple[int, int, list[list[str]]] | None:
    lines = path.read_text(encoding="utf-8").split("\n")
    if len(lines) < 2:
        result.fail(f"{path}: fewer than two lines")
        return None
    match = COMPLETENESS.match(lines[0])
    if lines[1] != header:
        result.fail(f"{path}: line 2 is not the header of Metadata.xml")
    rows = [line.split("\t") for line in lines[2:] if line]
    if match is None:
        if "Allsky" not in path.name:
            result.fail(f"{path}: line 1 is not '# Completeness = N/M'")
        return (-1, -1, rows) if lines[0].startswith("#") else None
    return int(match.group(1)), int(match.group(2)), rows


def expected_completeness(positions: Iterable[tuple[int, npt.NDArray[np.float64], npt.NDArray[np.float64]]],
                          order_min: int, order: int) -> dict[tuple[int, int], tuple[int, int]]:
    """(N, M) every tile must state, from the rows of all tiles: M rows of the catalogue in
    the cell, N of them at the tile's order or below."""
    placed = list(positions)
    if not placed:
        return {}
    shown = np.concatenate([np.full(len(ra), k) for k, ra, _ in placed])
    deep = healpix_index(np.concatenate([ra for _, ra, _ in placed]), np.concatenate([dec for _, _, dec in placed]),
                         order)
    expected: dict[tuple[int, int], tuple[int, int]] = {}
    for k in range(order_min, order + 1):
        cells = deep >> (2 * (order - k))
        every, totals = np.unique(cells, return_counts=True)
        upto, loaded = np.unique(cells[shown <= k], return_counts=True)
        loaded_of = dict(zip(upto.tolist(), loaded.tolist(), strict=True))
        for cell, count in zip(every.tolist(), totals.tolist(), strict=True):
            expected[(k, cell)] = (loaded_of.get(cell, 0), count)
    return expected


def check_catalog(root: Path, props: dict[str, str], result: CheckResult) -> None:
    order = _int(props, "hips_order", result)
    nrows = _int(props, "hips_cat_nrows", result)
    order_min = int(props.get("hips_order_min", "0"))
    if order is None:
        return
    fields = metadata_fields(root / "Metadata.xml", result)
    if not (root / "metadata.xml").exists():
        result.fail("missing metadata.xml")
    names = [n for n, _ in fields]
    header = "\t".join(names)
    ra_col = next((i for i, (_, u) in enumerate(fields) if u.startswith("pos.eq.ra")), None)
    dec_col = next((i for i, (_, u) in enumerate(fields) if u.startswith("pos.eq.dec")), None)
    try:
        moc: MOC | None = MOC.from_fits(str(root / "Moc.fits"))
    except (OSError, ValueError) as exc:
        result.fail(f"Moc.fits unreadable: {exc}")
        moc = None
    tiles: dict[int, dict[int, tuple[int, int, int]]] = {}
    positions: list[tuple[int, npt.NDArray[np.float64], npt.NDArray[np.float64]]] = []
    total = 0
    for k in range(order_min, order + 1):
        tiles[k] = {}
        for npix in sorted(scan_tiles(root, k, "tsv", result)):
            path = root / tile_path(k, npix, "tsv")
            parsed = _read_tsv(path, header, result)
            result.tiles += 1
            if parsed is None:
                continue
            loaded, cell_total, rows = parsed
            tiles[k][npix] = (loaded, cell_total, len(rows))
            total += len(rows)
            if any(len(r) != len(names) for r in rows):
                result.fail(f"{path.relative_to(root)}: rows with a column count other than {len(names)}")
                continue
            if ra_col is not None and dec_col is not None and rows:
                ra = np.array([float(r[ra_col]) for r in rows])
                dec = np.array([float(r[dec_col]) for r in rows])
                positions.append((k, ra, dec))
                cells = healpix_index(ra, dec, k)
                if np.any(cells != npix):
                    result.fail(f"{path.relative_to(root)}: rows outside the tile's cell")
                if moc is not None and not np.all(moc.contains_lonlat(ra * units.deg, dec * units.deg)):
                    result.fail(f"{path.relative_to(root)}: rows outside Moc.fits")
    stated = expected_completeness(positions, order_min, order)
    for k in range(order_min, order + 1):
        for npix, (loaded, cell_total, rows_count) in tiles[k].items():
            name = tile_path(k, npix, "tsv")
            want = stated.get((k, npix), (0, 0))
            if positions and (loaded, cell_total) != want:
                result.fail(f"{name}: says {loaded}/{cell_total}, its cell holds {want[1]} sources of which "
                            f"{want[0]} are in it and its ancestors")
            if not rows_count <= loaded <= cell_total:
                result.fail(f"{name}: {rows_count} rows, completeness says {loaded}/{cell_total}")
            present = [4 * npix + c for c in range(4) if 4 * npix + c in tiles.get(k + 1, {})]
            if loaded == cell_total and present:
                result.fail(f"{name}: last of its branch ({loaded}/{cell_total}), yet it has children")
            if loaded < cell_total and k == order:
                result.fail(f"{name}: {loaded}/{cell_total} at the deepest order")
            if k > order_min and npix // 4 not in tiles[k - 1]:
                result.fail(f"tile without parent: {name}")
    if nrows is not None and total != nrows:
        result.fail(f"tiles hold {total} rows, hips_cat_nrows = {nrows}")
    for k in (1, 2):
        if not order_min <= k <= order:
            continue
        path = root / f"Norder{k}" / "Allsky.tsv"
        if not path.exists():
            result.fail(f"missing Norder{k}/Allsky.tsv")
            continue
        parsed = _read_tsv(path, header, result)
        expected = sum(v[2] for v in tiles[k].values())
        if parsed is not None and len(parsed[2]) != expected:
            result.fail(f"Norder{k}/Allsky.tsv has {len(parsed[2])} rows, the tiles {expected}")


def check_survey(root: Path) -> CheckResult:
    """Check one survey folder; the result lists every problem found."""
    result = CheckResult(root)
    props = read_properties(root / "properties")
    if not props:
        result.fail("no properties file")
        return result
    check_properties(props, result)
    kind = props.get("dataproduct_type")
    if kind == "image":
        check_image(root, props, result)
    elif kind == "catalog":
        check_catalog(root, props, result)
    else:
        result.fail(f"properties: dataproduct_type {kind!r} is not checked here")
    return result


def main(argv: Iterable[str] | None = None) -> int:
    status = 0
    for name in list(argv if argv is not None else sys.argv[1:]):
        result = check_survey(Path(name))
        print(f"{name}: {'ok' if result.ok else 'FAILED'} ({result.tiles} tiles checked)")
        for error in result.errors[:50]:
            print(f"  {error}")
        status |= 0 if result.ok else 1
    return status


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["CheckResult", "check_survey", "main"]
