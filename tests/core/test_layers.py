"""The arrows of the design point one way: service packages import the core, never each
other, and only the application factory and the command line know them all."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SERVICE_PACKAGES = ("archive", "tap", "cone", "ssa", "sia", "registry", "hips")
#: Core modules that wire the service packages together.
WIRING = {"vo_service/app.py", "vo_service/cli.py"}


def imported_packages(path: Path) -> set[str]:
    """Top-level names of the absolute imports of a module (at any depth of the module)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def test_service_packages_import_the_core_never_each_other() -> None:
    crossings: list[str] = []
    for package in SERVICE_PACKAGES:
        for path in modules(package):
            others = imported_packages(path) & (set(SERVICE_PACKAGES) - {package})
            crossings.extend(f"{path.relative_to(ROOT)} imports {name}" for name in sorted(others))
    assert crossings == []


def test_only_the_wiring_of_the_core_knows_the_service_packages() -> None:
    crossings: list[str] = []
    for path in modules("vo_service"):
        relative = path.relative_to(ROOT).as_posix()
        if relative in WIRING:
            continue
        crossings.extend(f"{relative} imports {name}"
                         for name in sorted(imported_packages(path) & set(SERVICE_PACKAGES)))
    assert crossings == []


def test_the_layer_check_sees_the_packages() -> None:
    assert "vo_service" in imported_packages(ROOT / "ssa" / "routes.py")
    assert {"tap", "ssa", "archive"} <= imported_packages(ROOT / "vo_service" / "app.py")
