"""Declarations of the CoRoT VO service: tables, services and curation (data files, no code).

The TOML files next to this module are the single source of metadata.  They are read and
validated by :mod:`vo_service.metadata` at start-up.
"""

from pathlib import Path

RESOURCES_DIR = Path(__file__).resolve().parent
TABLES_DIR = RESOURCES_DIR / "tables"

__all__ = ["RESOURCES_DIR", "TABLES_DIR"]
