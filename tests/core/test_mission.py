"""The mission model: real run windows, derived pointings, the real product list."""

from __future__ import annotations

from archive.catalogue import real_chr_products
from vo_service.mission import planet_run, planets, pointings, run_at, run_by_code, runs


def test_the_26_runs_with_real_windows() -> None:
    assert len(runs()) == 26
    lra01 = run_by_code("LRa01")
    assert lra01.start.isoformat().startswith("2007-10-23T22:30:35")
    assert round(lra01.duration_days, 1) == 131.5
    assert run_by_code("LRc03").exo_ccds == ("E2",)


def test_every_planet_host_falls_on_an_exo_ccd_of_its_runs() -> None:
    point = pointings()
    for planet in planets():
        code = planet_run(planet)
        assert code is not None, planet.name
        for run_code in (code, *planet.extra_runs):
            ccd = point[run_code].ccd_of([planet.ra], [planet.dec], run_by_code(run_code).exo_ccds)[0]
            assert ccd.startswith("E"), (planet.name, run_code)


def test_pointings_lie_in_the_eyes() -> None:
    for code, pointing in pointings().items():
        eye_ra = 102.5 if run_by_code(code).field == "anticenter" else 282.5
        assert abs(pointing.ra - eye_ra) < 12 and abs(pointing.dec) < 12


def test_focal_plane_round_trip() -> None:
    pointing = pointings()["LRc01"]
    ra, dec = pointing.to_sky([0.3, -0.5], [0.2, 1.0])
    x, y = pointing.to_focal(ra, dec)
    assert abs(x[0] - 0.3) < 1e-9 and abs(y[1] - 1.0) < 1e-9


def test_real_chromatic_products_map_to_runs() -> None:
    products = real_chr_products()
    assert len(products) == 60_307
    assert len({p.corot_id for p in products}) == 59_667
    assert all(run_at(p.start) is not None for p in products)
