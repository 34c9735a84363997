"""The synthetic observation log reproduces the mission totals exactly."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from archive.catalogue import TOTAL_EXO_LIGHTCURVES, TOTAL_EXO_STARS, synthesise_targets
from vo_service.mission import pointings, run_by_code


def test_full_catalogue_matches_mission_totals() -> None:
    table = synthesise_targets(seed=2006)
    exo = table.filter(pc.equal(table["channel"], "exo"))
    assert exo.num_rows == TOTAL_EXO_LIGHTCURVES
    assert len(set(exo["corot_id"].to_pylist())) == TOTAL_EXO_STARS
    types = {r["values"]: r["counts"] for r in pc.value_counts(exo["product_type"]).to_pylist()}
    assert types["EN2_STAR_CHR"] == 60_307
    astero = table.filter(pc.equal(table["channel"], "astero"))
    assert len(set(astero["corot_id"].to_pylist())) == 171
    # every observation lies on a CCD of its run, re-observed stars keep one position
    runs_ = table["run_code"].to_numpy(zero_copy_only=False)
    for code in ("LRa01", "LRa06", "SRc03"):
        m = runs_ == code
        ra = table["ra"].to_numpy()[m]
        dec = table["dec"].to_numpy()[m]
        run = run_by_code(code)
        on = pointings()[code].ccd_of(ra, dec, run.exo_ccds + run.astero_ccds)
        assert np.all(on != "")
    ids = table["corot_id"].to_numpy()
    ras = table["ra"].to_numpy()
    order = np.argsort(ids, kind="stable")
    same = ids[order][1:] == ids[order][:-1]
    assert np.allclose(ras[order][1:][same], ras[order][:-1][same])


def _ipc_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue())


def test_catalogue_is_deterministic_and_fraction_keeps_hosts() -> None:
    a = synthesise_targets(seed=11, fraction=0.02)
    b = synthesise_targets(seed=11, fraction=0.02)
    assert _ipc_bytes(a) == _ipc_bytes(b)  # NaN-safe byte comparison
    hosts = set(a.filter(pc.equal(a["var_class"], "PLANET"))["corot_id"].to_pylist())
    assert {102890318, 101206560, 102708694} <= hosts


def test_magnitudes_follow_the_faint_heavy_distribution() -> None:
    table = synthesise_targets(seed=3, fraction=0.2)
    exo = table.filter(pc.equal(table["channel"], "exo"))
    v = exo["vmag"].to_numpy()
    assert np.nanmin(v) > 10.5 and np.nanmax(v) < 16.5
    assert (v > 15).sum() > 2 * (v < 13).sum()
