"""The SSA service as built at start-up: profile, target names, URLs and prepared documents."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ssa.descriptors import CutoutRanges, datalink_descriptor, soda_descriptor
from ssa.dids import collection_did, publisher_did
from ssa.profile import SSAProfile, load_profile
from ssa.targets import TargetNames
from ssa.votparams import PrebuiltParam
from vo_service.access import Viewer
from vo_service.curation import load_curation
from vo_service.links import datalink_url
from vo_service.metadata import Catalogue, ColumnMeta
from vo_service.mission import planets, runs, to_mjd
from vo_service.settings import Settings
from vo_service.store.base import Like, Query, Store
from vo_service.votable.envelope import Param

MOUNT = "/ssa"
LIGHTCURVES = "corot.lightcurves"


@dataclass(frozen=True)
class Urls:
    """Where the SSA service's resources live."""

    base: str  # .../ssa
    #: The DataLink {links} endpoint, as the core states it for every package.
    datalink: str

    @property
    def query(self) -> str:
        return f"{self.base}/ssap.xml"

    @property
    def products(self) -> str:
        return f"{self.base}/products"

    @property
    def preview(self) -> str:
        return f"{self.base}/preview"

    @property
    def soda(self) -> str:
        return f"{self.base}/soda"


@dataclass(frozen=True)
class SSAService:
    """Everything the SSA, DataLink and SODA endpoints need, prepared once."""

    settings: Settings
    profile: SSAProfile
    names: TargetNames
    urls: Urls
    metas: tuple[ColumnMeta, ...]
    stored: tuple[str, ...]
    discovery_resources: tuple[Any, ...]
    run_codes: tuple[str, ...]
    table_params: tuple[Param, ...]

    @classmethod
    def build(cls, settings: Settings, catalogue: Catalogue, store: Store | None) -> SSAService:
        table = catalogue.table(LIGHTCURVES)
        profile = load_profile(table)
        names = TargetNames.build(planets(), star_names(store) if store is not None else ())
        urls = Urls(f"{settings.base_url}{MOUNT}", datalink_url(settings))
        all_runs = runs()
        white = profile.white
        colours = tuple(dict.fromkeys(band for product in profile.products for band in product.bands))
        mission = CutoutRanges(to_mjd(min(r.start for r in all_runs)), to_mjd(max(r.end for r in all_runs)),
                               white.min, white.max, colours)
        resources = (
            datalink_descriptor(urls.datalink, "publisher_did").element(),
            soda_descriptor(urls.soda, mission, id_ref="publisher_did").element(),
        )
        metas = tuple(spec.meta() for spec in profile.fields)
        return cls(settings, profile, names, urls, metas, profile.stored_columns(), resources,
                   tuple(r.code for r in all_runs), table_params(settings, profile))

    @property
    def did_prefix(self) -> str:
        return publisher_did(self.settings.ivo_prefix, "")

    def did(self, product_id: str) -> str:
        return publisher_did(self.settings.ivo_prefix, product_id)

    @property
    def collection(self) -> str:
        return collection_did(self.settings.ivo_prefix)


def table_params(settings: Settings, profile: SSAProfile) -> tuple[Param, ...]:
    """The constant PARAMs of ssa.toml, values filled in, rendered once for every response."""
    white = profile.white
    params: list[Param] = []
    for spec in profile.params:
        if spec.band_value is not None:
            value: object = float(getattr(white, spec.band_value))
        else:
            text = (str(spec.value).replace("{ivo_prefix}", settings.ivo_prefix).replace("{title}", settings.title)
                    .replace("{creator}", load_curation().creator))
            value = float(text) if spec.datatype in {"double", "float"} else text
        params.append(PrebuiltParam.of(Param(spec.as_field(), value)))
    return tuple(params)


def star_names(store: Store) -> list[tuple[int, str]]:
    """(CoRoT ID, star name) of the named targets (the observation log is public): a look-up
    of a few hundred rows, each pair once."""
    query = Query("corot.targets", ("corot_id", "star_name"),
                  where=(Like("star_name", "_%", case_insensitive=False),), order_by=(("corot_id", False),))
    pairs = ((int(row["corot_id"]), str(row["star_name"]))
             for batch in store.select(query, Viewer()) for row in batch.to_pylist())
    return list(dict.fromkeys(pairs))


__all__ = ["LIGHTCURVES", "MOUNT", "SSAService", "Urls", "star_names", "table_params"]
