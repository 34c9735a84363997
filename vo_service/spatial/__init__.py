"""Spatial helpers of the core: spherical geometry, STC-S regions and the HEALPix index.

Pure numpy over DALI shapes in degrees, shared by the store backends, the ADQL translators,
SCS, SSA and HiPS; nothing here speaks SQL.
"""

from __future__ import annotations

from vo_service.spatial.healpix import (
    HPX_COLUMN,
    INDEX_ORDER,
    MAX_HEALPIX_ORDER,
    cone_ranges,
    healpix_centres,
    healpix_index,
    hpx_index,
    polygon_ranges,
)
from vo_service.spatial.sphere import (
    GeometryError,
    angular_distance,
    box_polygon,
    geometry_relation,
    points_in_polygons,
    polygon_area,
    polygon_centroid,
    polygon_contains,
    polygon_vertices,
    to_radec,
    unit_vectors,
    within_hemisphere,
)
from vo_service.spatial.stcs import is_icrs, stcs_shape

__all__ = [
    "HPX_COLUMN",
    "INDEX_ORDER",
    "MAX_HEALPIX_ORDER",
    "GeometryError",
    "angular_distance",
    "box_polygon",
    "cone_ranges",
    "geometry_relation",
    "healpix_centres",
    "healpix_index",
    "hpx_index",
    "is_icrs",
    "points_in_polygons",
    "polygon_area",
    "polygon_centroid",
    "polygon_contains",
    "polygon_ranges",
    "polygon_vertices",
    "stcs_shape",
    "to_radec",
    "unit_vectors",
    "within_hemisphere",
]
