"""Building every HiPS and MOC of the archive from its settings and store.

``build_all`` is what ``corot-vo hips build`` and the demo command call.  The surveys go
under ``settings.hips_dir``:

- ``fields/``  image HiPS of the full-field CCD images of the runs;
- ``targets/`` catalogue HiPS of the observation log (``corot.targets``);
- ``moc/``     coverage of each run, of the archive and the space-time MOC.

Access policy: only what the anonymous viewer may read goes in.  A run's images are
rendered and its coverage published only when the archive lets anonymous users read its
full-image datasets (``corot.datasets``, SIPAD policy); catalogue rows are read through the
store as the anonymous viewer, so access-controlled rows never reach a tile.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from hips.build_catalog import CatalogSurveySpec, build_catalog_survey
from hips.build_image import ImageSurveySpec, build_image_survey
from hips.geometry import TILE_WIDTH, order_for_pixel_scale
from hips.moc import RunCoverage, collection_mocs, write_mocs
from hips.properties import COROT_EM_MAX, COROT_EM_MIN
from hips.report import BuildReport
from vo_service import __version__
from vo_service.access import Viewer
from vo_service.curation import load_curation
from vo_service.fullimages import (
    DATASET_TYPES,
    RESOLUTIONS,
    ImageRenderer,
    ccd_channel,
    fullimage_channels,
    fullimages_dir,
    image_name,
)
from vo_service.metadata import Catalogue, ColumnMeta
from vo_service.mission import PIXEL_SCALE_ARCSEC, pointings, runs, to_mjd
from vo_service.settings import Settings
from vo_service.store.base import Query, Store

SURVEYS = ("fields", "targets", "moc")
#: Columns of the targets catalogue HiPS (declared in resources/tables/corot.toml).
TARGET_COLUMNS = ("obs_id", "corot_id", "ra", "dec", "vmag", "run_code", "channel", "hlfccdid", "star_name", "bmag",
                  "rmag", "spectral_type", "lum_class", "var_class", "product_type")

Progress = Callable[[str], None]


@dataclass(frozen=True)
class BuildOptions:
    surveys: tuple[str, ...] = SURVEYS
    workers: int = 2
    resolution: str = "demo"
    max_order: int | None = None
    images: tuple[Path, ...] = ()
    full: bool = False
    progress: bool = True
    #: Renders the full-field images of the public runs before the fields survey is built
    #: (the archive's renderer, wired by the command line); without it the survey is built
    #: from the images already rendered under the data directory.
    render: ImageRenderer | None = None


def survey_order(resolution: str, max_order: int | None = None) -> int:
    """Deepest order of the fields HiPS: the first whose 512-px tile pixel is not larger
    than the image pixel (full: 2.32" → order 8, 1.61"; demo: 9.28" → order 6, 6.44")."""
    order = order_for_pixel_scale(PIXEL_SCALE_ARCSEC * RESOLUTIONS[resolution], TILE_WIDTH)
    return min(order, max_order) if max_order is not None else order


def public_runs(store: Store) -> list[RunCoverage]:
    """Runs whose full-image datasets anonymous users may read, with their public CCDs."""
    channels = fullimage_channels(store, Viewer())
    result = []
    for run in runs():
        visible = channels.get(run.code, set())
        ccds = tuple(c for c in (*run.exo_ccds, *run.astero_ccds) if ccd_channel(c) in visible)
        if ccds:
            result.append(RunCoverage(run.code, pointings()[run.code], ccds, run.start, run.end))
    return result


def public_images(rendered_dir: Path, covered: Sequence[RunCoverage]) -> list[Path]:
    """The rendered images of the public runs' public CCDs: whatever else lies in the folder
    (a run restricted since it was rendered) never reaches a tile."""
    paths = (rendered_dir / run.code / image_name(run.code, ccd) for run in covered for ccd in run.ccds)
    return [path for path in paths if path.is_file()]


def _time_range(covered: Sequence[RunCoverage]) -> dict[str, object]:
    if not covered:
        return {}
    return {"t_min": round(min(to_mjd(r.start) for r in covered), 5),
            "t_max": round(max(to_mjd(r.end) for r in covered), 5)}


def common_metadata(settings: Settings) -> dict[str, object]:
    curation = load_curation()
    return {
        "publisher_id": settings.ivo_prefix,
        "obs_collection": "CoRoT",
        "obs_ack": curation.acknowledgement,
        "obs_copyright": curation.copyright,
        "obs_copyright_url": curation.copyright_url,
        "obs_regime": "Optical",
        "em_min": COROT_EM_MIN,
        "em_max": COROT_EM_MAX,
        "hips_creator": settings.title,
        "hips_builder": f"CoRoT VO {__version__} (hips)",
        "hips_status": "public master clonableOnce",
    }


def fields_metadata(settings: Settings, covered: Sequence[RunCoverage], binning: int) -> dict[str, object]:
    codes = ", ".join(r.code for r in covered)
    return {
        "creator_did": f"{settings.ivo_prefix}/corot/hips/fields",
        "obs_title": "CoRoT fields of view (full-field CCD images)",
        "obs_description": (
            "The fields of view of the CoRoT observing runs: one full-field image per CCD and run "
            "(exoplanet CCDs with the prism-dispersed stellar images, defocused asteroseismology CCDs), "
            "placed on the sky with each run's pointing and roll. Where the original N0 full images "
            "(ENO_FULLIMAGE, ANO_FULLIMAGE) are not held, they are rendered from the observation log "
            "(positions and V magnitudes of the run's targets) with sky, photon and read noise; "
            "pixel values are electrons."),
        "prov_progenitor": f"CoRoT N0 full-field images ({', '.join(DATASET_TYPES.values())}) of runs {codes}",
        "data_ucd": "phot.count",
        "s_pixel_scale": f"{PIXEL_SCALE_ARCSEC * binning / 3600.0:.6g}",
        "client_category": "Image/Optical/CoRoT",
        **common_metadata(settings),
        **_time_range(covered),
    }


def targets_metadata(settings: Settings, covered: Sequence[RunCoverage]) -> dict[str, object]:
    return {
        "creator_did": f"{settings.ivo_prefix}/corot/hips/targets",
        "obs_title": "CoRoT targets (observation log)",
        "obs_description": (
            "The stars observed by CoRoT, one row per star and run (table corot.targets): position, "
            "Exo-Dat photometry, spectral type, variability class and the N2 light-curve product. "
            "Brightest stars first at low orders."),
        "prov_progenitor": "CoRoT observation log N2-4.4 (VizieR B/corot) and Exo-Dat",
        "client_category": "Catalog/CoRoT",
        **common_metadata(settings),
        **_time_range(covered),
    }


def target_rows(store: Store, catalogue: Catalogue) -> tuple[pa.Table, list[ColumnMeta]]:
    """The observation log as the anonymous viewer sees it, with its declared columns."""
    meta = catalogue.table("corot.targets")
    columns = [meta.column(name) for name in TARGET_COLUMNS if meta.has_column(name)]
    query = Query("corot.targets", tuple(c.name for c in columns), order_by=(("corot_id", False), ("run_code", False)))
    batches = list(store.select(query, Viewer(), batch_size=50_000))
    table = pa.Table.from_batches(batches) if batches else pa.table({c.name: pa.array([]) for c in columns})
    return table, columns


def build_all(settings: Settings, store: Store, progress: bool = True, *,
              options: BuildOptions | None = None, catalogue: Catalogue | None = None,
              log: Progress | None = None) -> list[BuildReport]:
    """Build (incrementally) the surveys of ``options`` under ``settings.hips_dir``."""
    options = options or BuildOptions(progress=progress)
    say = log or (lambda _message: None)
    unknown = set(options.surveys) - set(SURVEYS)
    if unknown:
        raise ValueError(f"unknown survey(s) {', '.join(sorted(unknown))}; choose among {', '.join(SURVEYS)}")
    if options.resolution not in RESOLUTIONS:
        raise ValueError(f"unknown resolution {options.resolution!r}; choose among {', '.join(RESOLUTIONS)}")
    covered = public_runs(store)
    reports: list[BuildReport] = []
    if "fields" in options.surveys:
        binning = RESOLUTIONS[options.resolution]
        rendered_dir = fullimages_dir(settings) / options.resolution
        if options.render is not None:
            render = options.render(store, rendered_dir, binning=binning, viewer=Viewer())
            say(f"full-field images: {len(render.images)} ({len(render.rendered)} rendered) in {rendered_dir}")
        public = public_images(rendered_dir, covered)
        if options.render is None:
            say(f"full-field images: {len(public)} of the public runs in {rendered_dir}")
        spec = ImageSurveySpec(order=survey_order(options.resolution, options.max_order))
        reports.append(build_image_survey(
            settings.hips_dir / "fields", [*public, *options.images], spec,
            fields_metadata(settings, covered, binning), workers=options.workers,
            progress=options.progress, full=options.full, name="fields"))
    if "targets" in options.surveys:
        catalogue = catalogue or store.catalogue
        table, columns = target_rows(store, catalogue)
        reports.append(build_catalog_survey(
            settings.hips_dir / "targets", table, columns, CatalogSurveySpec(), targets_metadata(settings, covered),
            table_name="corot.targets", description=catalogue.table("corot.targets").description,
            name="targets", full=options.full))
    if "moc" in options.surveys:
        mocs, stmoc = collection_mocs(covered)
        reports.append(write_mocs(settings.hips_dir / "moc", mocs, stmoc))
    for report in reports:
        say(report.summary())
    return reports


__all__ = [
    "RESOLUTIONS",
    "SURVEYS",
    "BuildOptions",
    "build_all",
    "fields_metadata",
    "public_images",
    "public_runs",
    "survey_order",
    "target_rows",
    "targets_metadata",
]
