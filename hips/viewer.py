"""Aladin Lite, served by the service itself (the machines it runs on may have no internet).

The JavaScript comes from the npm registry package ``aladin-lite`` (pinned version), fetched
with ``npm pack`` at setup time (``python -m hips.viewer``, run by ``make setup``) and
unpacked into ``hips/static/aladin-lite/`` with its licence files; npm checks the tarball
against the registry's integrity hash.  Nothing of it is kept in the repository.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ALADIN_LITE_VERSION = "3.8.2"
#: Files taken from the npm tarball (its ``package/`` folder), and nothing else.
PACKAGE_FILES = ("dist/aladin.js", "LICENSE", "COPYING", "COPYING.LESSER", "package.json", "README.md")


def static_dir() -> Path:
    return Path(__file__).resolve().parent / "static" / "aladin-lite"


def aladin_js(directory: Path | None = None) -> Path | None:
    """The installed ``aladin.js``, or None when setup has not fetched it."""
    path = (directory or static_dir()) / "aladin.js"
    return path if path.is_file() else None


def install_aladin_lite(version: str = ALADIN_LITE_VERSION, dest: Path | None = None, npm: str = "npm") -> Path:
    """Fetch ``aladin-lite@version`` from the npm registry and unpack the viewer into ``dest``."""
    dest = dest or static_dir()
    npm_path = shutil.which(npm)
    if npm_path is None:
        raise RuntimeError("npm is needed to fetch aladin-lite from the npm registry (apt-get install npm)")
    with tempfile.TemporaryDirectory() as tmp:
        result = subprocess.run(
            [npm_path, "pack", f"aladin-lite@{version}", "--pack-destination", tmp, "--silent"],
            capture_output=True, text=True, timeout=300, check=False, cwd=tmp,
        )
        if result.returncode != 0:
            raise RuntimeError(f"npm pack aladin-lite@{version} failed: {result.stderr.strip()[:500]}")
        tarballs = sorted(Path(tmp).glob("aladin-lite-*.tgz"))
        if not tarballs:
            raise RuntimeError("npm pack produced no tarball")
        staging = Path(tmp) / "unpacked"
        staging.mkdir()
        with tarfile.open(tarballs[0], "r:gz") as archive:
            wanted = {f"package/{name}": name for name in PACKAGE_FILES}
            for member in archive.getmembers():
                target = wanted.get(member.name)
                if target is None or not member.isfile():
                    continue
                source = archive.extractfile(member)
                if source is not None:
                    (staging / Path(target).name).write_bytes(source.read())
        if not (staging / "aladin.js").is_file():
            raise RuntimeError("the aladin-lite package has no dist/aladin.js")
        dest.mkdir(parents=True, exist_ok=True)
        for item in staging.iterdir():
            shutil.copyfile(item, dest / item.name)
        (dest / "VERSION").write_text(version + "\n", encoding="utf-8")
    return dest / "aladin.js"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Fetch Aladin Lite from the npm registry for the HiPS viewer.")
    parser.add_argument("--version", default=ALADIN_LITE_VERSION)
    parser.add_argument("--if-absent", action="store_true", help="do nothing when already installed")
    args = parser.parse_args(argv)
    installed = static_dir() / "VERSION"
    if args.if_absent and aladin_js() and installed.exists() and installed.read_text().strip() == args.version:
        return 0
    try:
        path = install_aladin_lite(args.version)
    except RuntimeError as exc:
        print(f"aladin-lite not installed: {exc}", file=sys.stderr)
        return 1
    print(f"aladin-lite {args.version} installed in {path.parent}")
    return 0


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["ALADIN_LITE_VERSION", "aladin_js", "install_aladin_lite", "static_dir"]
