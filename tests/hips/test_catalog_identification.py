"""The targets catalogue HiPS names each observation as the other services do: its ID
column is obs_id (meta.id;meta.main), corot_id the star (meta.id)."""

from __future__ import annotations

import io
from pathlib import Path

from astropy.io.votable import parse
from starlette.testclient import TestClient


def test_catalogue_tiles_carry_the_observation_id(client: TestClient, hips_dir: Path) -> None:
    metadata = client.get("/hips/targets/Metadata.xml")
    assert metadata.status_code == 200
    fields = parse(io.BytesIO(metadata.content)).get_first_table().fields
    ucds = {field.name: field.ucd for field in fields}
    assert [name for name, ucd in ucds.items() if ucd == "meta.id;meta.main"] == ["obs_id"]
    assert ucds["corot_id"] == "meta.id"
    lines = client.get("/hips/targets/Norder1/Allsky.tsv").text.splitlines()
    rows = [line.split("\t") for line in lines if line and not line.startswith("#")]
    header, records = rows[0], rows[1:]
    assert records
    obs_ids = [record[header.index("obs_id")] for record in records]
    corot_ids = [int(record[header.index("corot_id")]) for record in records]
    assert len(set(obs_ids)) == len(obs_ids)
    assert all(f"_{corot_id:010d}_" in obs_id for obs_id, corot_id in zip(obs_ids, corot_ids, strict=True))
