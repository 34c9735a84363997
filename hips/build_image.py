"""Building an image HiPS from FITS images (HiPS 1.0 §4.1-§4.4).

1. Inputs are inspected (checked and described: footprint tiles, statistics); unchanged
   files (same size and mtime, or same SHA-256) keep their previous description.
2. The deepest tiles touched by new, changed or removed inputs are resampled from every
   image covering them (bilinear, the image's sky subtracted, mean of overlaps)
   and written as FITS and PNG.  Each image's sky background (the mode of its clipped
   pixel distribution) is subtracted first, as Hipsgen's ``skyval`` does, so CCDs whose
   backgrounds differ thirtyfold read as one sky; the display cut is chosen from the
   pooled sky-subtracted pixels of all images.
3. Their ancestors, down to ``hips_order_min``, are rebuilt from their children with the
   mean of each 2×2 block (HiPS 1.0 §4.2.1 best practice for intensities).
4. ``NorderK/Allsky`` (K ≤ 3), ``Moc.fits`` (the deepest tiles, MOC 2.0), ``properties``
   and the manifest are written last.

Every tile is replaced atomically, and the manifest only records a build once all of it
is on disk, so an interrupted build is completed by the next one.
"""

from __future__ import annotations

import math
import shutil
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from astropy.wcs import WCS
from mocpy import MOC

from hips.geometry import (
    ALLSKY_MAX_ORDER,
    ALLSKY_TILE_WIDTH,
    allsky_grid,
    child_block,
    pixel_size_deg,
    tile_path,
)
from hips.imagetiles import (
    Stretch,
    atomic_write,
    fits_bytes,
    png_bytes,
    read_fits_tile,
    reduce_2x2,
    reduce_by,
    remove_tile,
    write_tile,
)
from hips.manifest import Manifest
from hips.parallel import make_executor, run_tasks
from hips.properties import hips_date, initial_view, read_properties, write_properties
from hips.report import BuildReport
from hips.resample import sample_bilinear, tile_image_coords
from hips.sources import LEVELLED_PERCENTILES, BadImage, ImageInput, ImageStats, discover, inspect_safely, open_image
from vo_service.spatial import healpix_centres

TILES_PER_TASK = 16


@dataclass(frozen=True)
class ImageSurveySpec:
    """Shape of an image HiPS: deepest order, lowest order, tile width, tile formats."""

    order: int
    #: The whole hierarchy down to order 0 (HiPS 1.0 §4.1 lets orders below 3 be left out,
    #: but a complete one costs a few tiles and reads right in every client and validator).
    order_min: int = 0
    tile_width: int = 512
    formats: tuple[str, ...] = ("fits", "png")

    @property
    def lowest(self) -> int:
        return min(self.order_min, self.order)

    def params(self) -> dict[str, object]:
        return {"order": self.order, "order_min": self.lowest, "tile_width": self.tile_width,
                "formats": list(self.formats), "sampling": "bilinear", "overlay": "mean", "hierarchy": "mean",
                "skyval": "clipped-mode"}


# -- worker side (module-level functions: picklable for the process pool) ----------------------
@dataclass(frozen=True)
class ImageRef:
    path: str
    hdu: int
    has_blanks: bool
    #: sky level subtracted before combining (the image's clipped mode, :func:`sky_background`)
    sky: float = 0.0


@dataclass(frozen=True)
class DeepTask:
    root: str
    order: int
    width: int
    formats: tuple[str, ...]
    stretch: tuple[float, float, float]
    tiles: tuple[tuple[int, tuple[ImageRef, ...]], ...]


@dataclass(frozen=True)
class TileOutcome:
    npix: int
    written: bool
    low: float = math.nan
    high: float = math.nan
    failed: tuple[tuple[str, str], ...] = ()


def resample_tile(order: int, npix: int, width: int,
                  images: Sequence[tuple[ImageRef, npt.NDArray[np.float32], WCS]]) -> npt.NDArray[np.float32]:
    """Mean of the bilinear resamplings of ``images`` on one tile (NaN where none covers)."""
    total = np.zeros((width, width))
    count = np.zeros((width, width), dtype=np.int32)
    for ref, data, wcs in images:
        x, y = tile_image_coords(wcs, order, npix, width)
        values = sample_bilinear(data, x, y, has_blanks=ref.has_blanks) - ref.sky
        good = np.isfinite(values)
        total[good] += values[good]
        count[good] += 1
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan).astype(np.float32)


def render_deep_tiles(task: DeepTask) -> list[TileOutcome]:
    """Worker: resample, write (or remove) the deepest tiles of one task."""
    root = Path(task.root)
    stretch = Stretch(*task.stretch)
    loaded: dict[str, tuple[npt.NDArray[np.float32], WCS] | str] = {}
    outcomes = []
    for npix, refs in task.tiles:
        usable = []
        failed = []
        for ref in refs:
            if ref.path not in loaded:
                try:
                    opened = open_image(ref.path, ref.hdu)
                    loaded[ref.path] = (opened.data, opened.wcs)
                except (OSError, ValueError, BadImage) as exc:
                    loaded[ref.path] = f"unreadable during the build: {exc}"
            entry = loaded[ref.path]
            if isinstance(entry, str):
                failed.append((ref.path, entry))
            else:
                usable.append((ref, entry[0], entry[1]))
        data = resample_tile(task.order, npix, task.width, usable)
        finite = data[np.isfinite(data)]
        if finite.size == 0:
            remove_tile(root, task.order, npix, task.formats)
            outcomes.append(TileOutcome(npix, False, failed=tuple(failed)))
            continue
        write_tile(root, task.order, npix, data, task.formats, stretch)
        outcomes.append(TileOutcome(npix, True, float(finite.min()), float(finite.max()), tuple(failed)))
    return outcomes


@dataclass(frozen=True)
class ParentTask:
    root: str
    order: int
    width: int
    formats: tuple[str, ...]
    stretch: tuple[float, float, float]
    tiles: tuple[int, ...]


def assemble_parent(root: Path, order: int, npix: int, width: int) -> npt.NDArray[np.float32] | None:
    """A tile of ``order`` from its four children of ``order + 1`` (None without children)."""
    data = np.full((width, width), np.nan, dtype=np.float32)
    found = False
    for child in range(4):
        path = root / tile_path(order + 1, 4 * npix + child, "fits")
        if not path.exists():
            continue
        found = True
        rows, cols = child_block(child, width)
        data[rows, cols] = reduce_2x2(read_fits_tile(path))
    return data if found and np.isfinite(data).any() else None


def render_parent_tiles(task: ParentTask) -> list[TileOutcome]:
    root = Path(task.root)
    stretch = Stretch(*task.stretch)
    outcomes = []
    for npix in task.tiles:
        data = assemble_parent(root, task.order, npix, task.width)
        if data is None:
            remove_tile(root, task.order, npix, task.formats)
            outcomes.append(TileOutcome(npix, False))
        else:
            write_tile(root, task.order, npix, data, task.formats, stretch)
            outcomes.append(TileOutcome(npix, True))
    return outcomes


def refresh_png_tiles(task: ParentTask) -> list[TileOutcome]:
    """Worker: rewrite the PNG of existing FITS tiles after a change of display stretch."""
    root = Path(task.root)
    stretch = Stretch(*task.stretch)
    for npix in task.tiles:
        path = root / tile_path(task.order, npix, "fits")
        if path.exists():
            atomic_write(root / tile_path(task.order, npix, "png"), png_bytes(read_fits_tile(path), stretch))
    return [TileOutcome(npix, True) for npix in task.tiles]


# -- coordinator side ------------------------------------------------------------------------
def pooled_percentiles(stats: Sequence[ImageStats], percents: Sequence[float]) -> list[float]:
    """Percentiles of the levelled (sky-subtracted) pixels of all images together, each
    image weighing its pixel count: the mixture of their distributions, each known at
    :data:`LEVELLED_PERCENTILES`."""
    known = [s for s in stats if len(s.levelled) == len(LEVELLED_PERCENTILES) and s.pixels > 0]
    if not known:
        return [0.0 for _ in percents]
    probabilities = np.asarray(LEVELLED_PERCENTILES) / 100.0
    curves = [np.maximum.accumulate(np.asarray(s.levelled, dtype=np.float64)) for s in known]
    weights = np.asarray([s.pixels for s in known], dtype=np.float64)
    grid = np.unique(np.concatenate(curves))
    mixture = sum(w * np.interp(grid, c + np.arange(len(c)) * 1e-9, probabilities, left=0.0, right=1.0)
                  for w, c in zip(weights, curves, strict=True)) / weights.sum()
    mixture = np.maximum.accumulate(np.asarray(mixture, dtype=np.float64))
    return [float(np.interp(p / 100.0, mixture + np.arange(len(mixture)) * 1e-12, grid)) for p in percents]


def display_stretch(stats: Sequence[ImageStats]) -> Stretch:
    """Cut levels chosen from the levelled mosaic (all images sky-subtracted, pooled): from
    one sky noise below the sky (the 16th percentile) to the 99.9th percentile, softened at
    three sky noises, so every CCD's sky maps to the same dark grey and stars to white."""
    if not stats:
        return Stretch(0.0, 1.0, 0.1)
    low, middle, high = pooled_percentiles(stats, (16.0, 50.0, 99.9))
    sigma = max(middle - low, 1e-6)
    high = max(high, low + 20.0 * sigma)
    return Stretch(round(low, 4), round(high, 4), round(3.0 * sigma, 4))


def _chunks(items: Sequence[int], size: int) -> list[tuple[int, ...]]:
    return [tuple(items[i : i + size]) for i in range(0, len(items), size)]


def _task_size(n: int, workers: int) -> int:
    return max(1, min(TILES_PER_TASK, math.ceil(n / max(1, workers * 4))))


def _clear_tree(root: Path) -> None:
    if not root.exists():
        return
    for child in root.iterdir():
        if child.is_dir() and child.name.startswith("Norder"):
            shutil.rmtree(child)
        elif child.name in {"Moc.fits", "properties"}:
            child.unlink()


def _inspect(paths: list[Path], order: int, workers: int, progress: bool,
             executor: ProcessPoolExecutor | None) -> dict[str, ImageInput | str]:
    tasks = [(str(p), order) for p in paths]
    results: dict[str, ImageInput | str] = {}
    for path, outcome in run_tasks(_inspect_task, tasks, workers=workers, description="inspecting images",
                                   progress=progress, executor=executor):
        results[path] = outcome
    return results


def _inspect_task(task: tuple[str, int]) -> tuple[str, ImageInput | str]:
    return task[0], inspect_safely(Path(task[0]), task[1])


def write_allsky(root: Path, order: int, width: int, formats: tuple[str, ...], stretch: Stretch,
                 tiles: Sequence[int]) -> None:
    """``NorderK/Allsky.{fits,png}``: the tiles of order K side by side, left to right and
    top to bottom, each reduced to 64 pixels (HiPS 1.0 §4.3.2)."""
    columns, rows = allsky_grid(order)
    side = min(ALLSKY_TILE_WIDTH, width)
    image = np.full((rows * side, columns * side), np.nan, dtype=np.float32)
    height = rows * side
    for npix in tiles:
        path = root / tile_path(order, npix, "fits")
        if not path.exists():
            continue
        small = reduce_by(read_fits_tile(path), width // side)
        row, col = divmod(npix, columns)
        image[height - (row + 1) * side : height - row * side, col * side : (col + 1) * side] = small
    cards: dict[str, tuple[object, str]] = {"ORDER": (order, "HEALPix order of the tiles"),
                                            "NPIXTILE": (side, "pixels per tile side")}
    if "fits" in formats:
        atomic_write(root / f"Norder{order}" / "Allsky.fits", fits_bytes(image, cards))
    if "png" in formats:
        atomic_write(root / f"Norder{order}" / "Allsky.png", png_bytes(image, stretch))


def existing_tiles(root: Path, order: int, ext: str = "fits") -> list[int]:
    folder = root / f"Norder{order}"
    if not folder.is_dir():
        return []
    return sorted(int(p.stem[4:]) for p in folder.glob(f"Dir*/Npix*.{ext}") if p.stem[4:].isdigit())


def build_image_survey(root: Path, input_dirs: Sequence[Path], spec: ImageSurveySpec,
                       metadata: Mapping[str, object], *, workers: int = 1, progress: bool = False,
                       full: bool = False, name: str = "fields") -> BuildReport:
    """Build or update the image HiPS in ``root`` from the FITS images below ``input_dirs``.

    ``metadata`` holds the descriptive properties (creator_did, obs_title, ...); the
    technical ones are derived here.
    """
    started = time.perf_counter()
    report = BuildReport(survey=name)
    root.mkdir(parents=True, exist_ok=True)
    old = Manifest.load(root)
    params = spec.params()
    if full or old.params != params:
        _clear_tree(root)
        old = Manifest(created=old.created)
    manifest = Manifest(params=params, created=old.created or hips_date())
    executor = make_executor(workers)
    try:
        # 1. inputs
        paths = discover(input_dirs)
        to_inspect = []
        for path in paths:
            previous = old.inputs.get(str(path))
            stat = path.stat()
            if previous is not None and previous.size == stat.st_size and previous.mtime_ns == stat.st_mtime_ns:
                manifest.inputs[str(path)] = previous
            else:
                to_inspect.append(path)
        report.inspected = len(to_inspect)
        for path_text, outcome in _inspect(to_inspect, spec.order, workers, progress, executor).items():
            if isinstance(outcome, str):
                report.skipped.append((path_text, outcome))
            else:
                manifest.inputs[path_text] = outcome
        report.inputs = len(manifest.inputs)

        # 2. deepest tiles touched by what changed
        changed: set[int] = set()
        for path_text, previous in old.inputs.items():
            current = manifest.inputs.get(path_text)
            if current is None or current.sha256 != previous.sha256:
                changed.update(previous.tiles)
        for path_text, current in manifest.inputs.items():
            previous = old.inputs.get(path_text)
            if previous is None or previous.sha256 != current.sha256:
                changed.update(current.tiles)
        stretch = display_stretch([i.stats for i in manifest.inputs.values()])
        manifest.stretch = stretch.as_list()
        restretch = "png" in spec.formats and old.stretch != manifest.stretch
        manifest.tiles = dict(old.tiles)
        if not changed and not restretch and (root / "properties").exists():
            manifest.save(root)
            report.seconds = time.perf_counter() - started
            return report
        report.changed = True

        covering: dict[int, list[ImageRef]] = {}
        for source in sorted(manifest.inputs.values(), key=lambda s: s.path):
            for npix in source.tiles:
                if npix in changed:
                    covering.setdefault(npix, []).append(
                        ImageRef(source.path, source.hdu, source.has_blanks, source.stats.sky))
        deep = sorted(changed)
        size = _task_size(len(deep), workers)
        tasks = [DeepTask(str(root), spec.order, spec.tile_width, spec.formats, stretch.as_tuple(),
                          tuple((n, tuple(covering.get(n, ()))) for n in chunk)) for chunk in _chunks(deep, size)]
        failed: dict[str, str] = {}
        for outcomes in run_tasks(render_deep_tiles, tasks, workers=workers, progress=progress,
                                  description=f"{name}: order {spec.order}", executor=executor):
            for tile in outcomes:
                failed.update(dict(tile.failed))
                if tile.written:
                    manifest.tiles[tile.npix] = (tile.low, tile.high)
                    report.tiles_rendered += 1
                elif manifest.tiles.pop(tile.npix, None) is not None:
                    report.tiles_removed += 1
        for path_text, reason in failed.items():
            manifest.inputs.pop(path_text, None)  # reconsidered from scratch by the next build
            report.skipped.append((path_text, reason))

        if restretch:
            unchanged = sorted(set(manifest.tiles) - changed)
            png_tasks = [ParentTask(str(root), spec.order, spec.tile_width, spec.formats, stretch.as_tuple(),
                                    chunk) for chunk in _chunks(unchanged, TILES_PER_TASK * 4)]
            for _ in run_tasks(refresh_png_tiles, png_tasks, workers=workers, progress=progress,
                               description=f"{name}: display tiles", executor=executor):
                pass

        # 3. lower orders from their children
        level = set(changed)
        for order in range(spec.order - 1, spec.lowest - 1, -1):
            level = {n // 4 for n in level}
            if restretch:
                level |= set(existing_tiles(root, order))
            parents = sorted(level)
            parent_tasks = [ParentTask(str(root), order, spec.tile_width, spec.formats, stretch.as_tuple(),
                                       chunk) for chunk in _chunks(parents, _task_size(len(parents), workers))]
            for outcomes in run_tasks(render_parent_tiles, parent_tasks, workers=workers, progress=progress,
                                      description=f"{name}: order {order}", executor=executor):
                report.ancestors_rendered += sum(1 for o in outcomes if o.written)
    finally:
        if executor is not None:
            executor.shutdown()

    # 4. Allsky, MOC, properties, manifest
    stretch = Stretch(*manifest.stretch)
    for order in range(spec.lowest, min(ALLSKY_MAX_ORDER, spec.order) + 1):
        write_allsky(root, order, spec.tile_width, spec.formats, stretch, existing_tiles(root, order))
    deepest = np.asarray(sorted(manifest.tiles), dtype=np.uint64)
    moc = MOC.from_healpix_cells(deepest, np.full(deepest.shape, spec.order, dtype=np.uint8), spec.order)
    moc.save(root / "Moc.fits", format="fits", overwrite=True)
    write_properties(root / "properties", image_properties(spec, manifest, moc, metadata, root))
    manifest.save(root)
    report.seconds = time.perf_counter() - started
    return report


def image_properties(spec: ImageSurveySpec, manifest: Manifest, moc: MOC, metadata: Mapping[str, object],
                     root: Path) -> dict[str, object]:
    """Descriptive keywords from ``metadata`` + the technical ones of this build (HiPS 1.0 §4.4.1)."""
    previous = read_properties(root / "properties")
    lows = [v[0] for v in manifest.tiles.values()]
    highs = [v[1] for v in manifest.tiles.values()]
    stretch = Stretch(*manifest.stretch)
    cells = np.asarray(sorted(manifest.tiles), dtype=np.int64)
    if cells.size:
        lon, lat = healpix_centres(cells, spec.order)
        ra, dec, fov = initial_view(lon, lat)
    else:
        ra, dec, fov = 0.0, 0.0, 180.0
    values: dict[str, object] = dict(metadata)
    values.update({
        "dataproduct_type": "image",
        "hips_version": "1.4",
        "hips_release_date": hips_date(),
        "hips_creation_date": previous.get("hips_creation_date") or manifest.created,
        "hips_status": metadata.get("hips_status", "public master clonableOnce"),
        "hips_frame": "equatorial",
        "hips_order": spec.order,
        "hips_order_min": spec.lowest,
        "hips_tile_width": spec.tile_width,
        "hips_tile_format": " ".join(spec.formats),
        "hips_pixel_bitpix": -32,
        "data_pixel_bitpix": -32,
        "hips_pixel_cut": f"{stretch.low:.6g} {stretch.high:.6g}",
        "hips_data_range": f"{min(lows):.6g} {max(highs):.6g}" if lows else None,
        "hips_pixel_scale": f"{pixel_size_deg(spec.order, spec.tile_width):.6g}",
        "hips_sampling": "bilinear",
        "hips_overlay": "mean",
        "hips_hierarchy": "mean",
        "hips_skyval": "hips_estimation",
        "hips_initial_ra": ra,
        "hips_initial_dec": dec,
        "hips_initial_fov": fov,
        "moc_sky_fraction": f"{moc.sky_fraction:.6g}",
    })
    return values


__all__ = [
    "BuildReport",
    "ImageSurveySpec",
    "assemble_parent",
    "build_image_survey",
    "display_stretch",
    "existing_tiles",
    "render_deep_tiles",
    "resample_tile",
    "write_allsky",
]
