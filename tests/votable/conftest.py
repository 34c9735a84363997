"""Fixtures of the VOTable tests (helpers live in :mod:`.oracle`)."""

from __future__ import annotations

from typing import Any

import pytest

from .oracle import sample_rows


@pytest.fixture(scope="session")
def rows() -> list[dict[str, Any]]:
    """240 sample rows covering every datatype, nulls, NaN, infinities and unicode."""
    return sample_rows(240)
