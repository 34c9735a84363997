"""The SIPAD-CoRoT tree: level → run → dataset type → objects (N2 products)."""

from __future__ import annotations

from vo_service.settings import Settings
from vo_service.store.factory import open_store


def test_every_product_hangs_in_an_n2_dataset_of_its_run(settings: Settings) -> None:
    store = open_store(settings)
    try:
        orphans = store.fetch_table(
            'SELECT l.product_id FROM "corot"."lightcurves" l '
            'LEFT JOIN "corot"."datasets" d ON l.dataset_id = d.dataset_id WHERE d.dataset_id IS NULL'
        )
        assert orphans.num_rows == 0
        tree = store.fetch_table(
            'SELECT d.level, d.run_code, d.dataset_type, count(*) AS n FROM "corot"."lightcurves" l '
            'JOIN "corot"."datasets" d ON l.dataset_id = d.dataset_id GROUP BY ALL'
        ).to_pylist()
        assert tree
        assert all(row["level"] == "N2" and row["dataset_type"].startswith(("EN2_", "AN2_")) for row in tree)
        levels = {r["level"] for r in store.fetch_table('SELECT DISTINCT level FROM "corot"."datasets"').to_pylist()}
        assert levels == {"N0", "N1", "N2", "HK"}
    finally:
        store.close()
