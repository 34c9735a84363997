"""Fixtures of the SSA tests: products of the test archive, public and proprietary."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from tests.conftest import COI_AUTH
from tests.ssa.helpers import ssa_rows


@pytest.fixture(scope="session")
def public_products(client: TestClient) -> dict[str, str]:
    """Product id → product type of every light curve an anonymous user sees."""
    rows = ssa_rows(client)
    return {str(pid): str(ptype) for pid, ptype in zip(rows["publisher_did"], rows["product_type"], strict=True)}


@pytest.fixture(scope="session")
def restricted_products(client: TestClient, public_products: dict[str, str]) -> list[str]:
    """Publisher DIDs only the Co-I sees (the LRa07 products of the demo archive)."""
    rows = ssa_rows(client, headers=COI_AUTH)
    hidden = sorted(str(did) for did in rows["publisher_did"] if str(did) not in public_products)
    assert hidden, "the test archive has proprietary products"
    return hidden


def product_of(did: str) -> str:
    return did.split("?", 1)[1]
