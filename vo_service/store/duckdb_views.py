"""Views the DuckDB store defines over the archive tables (ObsCore and friends).

They depend on the settings (access URLs and publisher DIDs carry the base URL and the
IVOA authority), so they are (re)created each time the store is opened.
"""

from __future__ import annotations

from vo_service.links import datalink_url
from vo_service.mission import PIXEL_SCALE_ARCSEC
from vo_service.settings import Settings

#: Wavelength limits of the band the CoRoT CCDs record in both channels (about 300-1100 nm;
#: the exoplanet channel's prism splits it into the red, green and blue colours).
COROT_EM_MIN_M = 3.0e-7
COROT_EM_MAX_M = 1.1e-6

#: Diameter of a photometric aperture: the on-board masks span about 8 CCD pixels.
APERTURE_PIXELS = 8

#: Media type of a DataLink links document (DataLink 1.0 §3, ObsCore 1.1 §4.7).
DATALINK_MEDIA_TYPE = "application/x-votable+xml;content=datalink"


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def obscore_sql(settings: Settings) -> str:
    """ObsCore 1.1 rows over ``corot.lightcurves`` (ObsCore 1.1 §3-4, Table 6).

    access_url is the product's DataLink document (``access_format`` the DataLink media
    type), as ObsCore 1.1 §4.7 recommends for products with related resources: the FITS
    file, previews and SODA cut-outs are all reached from there.  The publisher DID
    ``ivo://<authority>/corot?<product_id>`` is the DataLink ``ID``.

    The view keeps ``access_group``/``release_date`` and is declared access controlled in
    ``resources/tables/ivoa.toml``: the store reads it through the same visibility rule as
    the light curves, so no proprietary product is listed to someone who may not see it.
    """
    did_prefix = f"{settings.ivo_prefix}/corot?"
    datalink = f"{datalink_url(settings)}?ID="
    aperture_deg = APERTURE_PIXELS * PIXEL_SCALE_ARCSEC / 3600.0
    radius = aperture_deg / 2
    return f"""
SELECT
    'timeseries' AS dataproduct_type,
    lc.product_type AS dataproduct_subtype,
    CAST(2 AS SMALLINT) AS calib_level,
    'CoRoT' AS obs_collection,
    lc.product_id AS obs_id,
    'CoRoT ' || CAST(lc.corot_id AS VARCHAR) || ' ' || lc.run_code || ' ' || lc.product_type AS obs_title,
    {_sql_string(did_prefix)} || lc.product_id AS obs_publisher_did,
    {_sql_string(datalink)} || url_encode({_sql_string(did_prefix)} || lc.product_id) AS access_url,
    {_sql_string(DATALINK_MEDIA_TYPE)} AS access_format,
    CAST(ceil(lc.file_size / 1024.0) AS BIGINT) AS access_estsize,
    'CoRoT ' || CAST(lc.corot_id AS VARCHAR) AS target_name,
    'star' AS target_class,
    lc.ra AS s_ra,
    lc.dec AS s_dec,
    CAST({aperture_deg!r} AS DOUBLE) AS s_fov,
    'Circle ICRS ' || printf('%.7f %.7f %.7f', lc.ra, lc.dec, {radius!r}) AS s_region,
    CAST({PIXEL_SCALE_ARCSEC!r} AS DOUBLE) AS s_resolution,
    CAST(1 AS BIGINT) AS s_xel1,
    CAST(1 AS BIGINT) AS s_xel2,
    lc.t_min AS t_min,
    lc.t_max AS t_max,
    CAST(lc.n_points AS DOUBLE) * lc.cadence AS t_exptime,
    lc.cadence AS t_resolution,
    CAST(lc.n_points AS BIGINT) AS t_xel,
    CAST({COROT_EM_MIN_M!r} AS DOUBLE) AS em_min,
    CAST({COROT_EM_MAX_M!r} AS DOUBLE) AS em_max,
    CAST(NULL AS DOUBLE) AS em_res_power,
    CAST(CASE WHEN lc.product_type = 'EN2_STAR_CHR' THEN 3 ELSE 1 END AS BIGINT) AS em_xel,
    'phot.count' AS o_ucd,
    CAST(NULL AS VARCHAR) AS pol_states,
    CAST(NULL AS BIGINT) AS pol_xel,
    'CoRoT' AS facility_name,
    CASE WHEN lc.channel = 'astero' THEN 'CoRoT/ASTERO' ELSE 'CoRoT/EXO' END AS instrument_name,
    lc.release_date AS obs_release_date,
    CASE WHEN lc.access_group = 'public' OR lc.release_date <= CAST(now() AS TIMESTAMP)
         THEN 'public' ELSE 'proprietary' END AS data_rights,
    lc.corot_id AS corot_id,
    lc.run_code AS run_code,
    lc.access_group AS access_group,
    lc.release_date AS release_date
FROM "corot"."lightcurves" AS lc
"""


def view_definitions(settings: Settings) -> dict[str, str]:
    """Qualified view name → SELECT statement."""
    return {"ivoa.obscore": obscore_sql(settings)}


__all__ = ["APERTURE_PIXELS", "COROT_EM_MAX_M", "COROT_EM_MIN_M", "DATALINK_MEDIA_TYPE", "obscore_sql",
           "view_definitions"]
