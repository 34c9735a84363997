"""Light-curve specifications shared by the N2 format and simulator tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from archive.lcsim import LightCurveSpec, Transit

#: CoRoT-1 b discovery ephemeris (CoRoT data spec §7).
COROT1_B = Transit(period_d=1.5089557, t0_bjd=2454159.4532, depth=0.02, duration_h=2.5)

#: CoRoT-1 in IRa01, named as in N2-4.4 (§7).
COROT1 = LightCurveSpec(
    corot_id=102890318,
    run_code="IRa01",
    product_type="EN2_STAR_CHR",
    hlfccdid="E1L",
    win_id=1234,
    ra=102.07989,
    dec=-3.10214,
    bmag=float("nan"),
    vmag=13.6,
    rmag=13.15,
    spectral_type="G0",
    lum_class="V",
    teff=6298.0,
    star_name="",
    var_class="PLANET",
    t_start=datetime(2007, 2, 6, 13, 35, 47, tzinfo=UTC),
    t_end=datetime(2007, 4, 2, 7, 3, 2, tzinfo=UTC),
    cadence_s=512,
    planets=(COROT1_B,),
    seed=11,
)

#: A quiet monochromatic star of LRa01.
QUIET_MON = replace(
    COROT1,
    corot_id=102764000,
    run_code="LRa01",
    product_type="EN2_STAR_MON",
    hlfccdid="E2R",
    win_id=77,
    ra=101.3,
    dec=0.8,
    bmag=15.1,
    vmag=14.5,
    rmag=14.1,
    spectral_type="K1",
    lum_class="IV",
    teff=float("nan"),
    var_class="",
    planets=(),
    t_start=datetime(2007, 10, 23, 22, 30, 35, tzinfo=UTC),
    t_end=datetime(2007, 12, 20, 0, 0, 0, tzinfo=UTC),
)

#: HD 174936, the SRc01 bright star of the real BARREG sample (§3.5).
HD174936 = LightCurveSpec(
    corot_id=7528,
    run_code="SRc01",
    product_type="AN2_STAR",
    hlfccdid="A1L",
    win_id=3,
    ra=283.7,
    dec=1.48,
    bmag=7.0,
    vmag=6.56,
    rmag=6.3,
    spectral_type="F3",
    lum_class="V",
    teff=6750.0,
    star_name="HD 174936",
    var_class="PULS",
    t_start=datetime(2007, 4, 11, 15, 7, 52, tzinfo=UTC),
    t_end=datetime(2007, 5, 8, 21, 35, 52, tzinfo=UTC),
    cadence_s=32,
    seed=3,
)
