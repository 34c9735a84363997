"""The build manifest of a survey: what it was built from, so the next build redoes only
what new or changed inputs touch.

Stored as ``.manifest.json`` in the survey folder (never served: the server only serves
HiPS file names).  An image survey records its parameters, every input image (path, size,
mtime, SHA-256, the deepest tiles it covers), the display stretch and the deepest tiles
with their value ranges; a catalogue survey records the digest of its rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hips.imagetiles import atomic_write
from hips.sources import ImageInput

MANIFEST_NAME = ".manifest.json"
MANIFEST_VERSION = 2


@dataclass
class Manifest:
    params: dict[str, Any] = field(default_factory=dict)
    inputs: dict[str, ImageInput] = field(default_factory=dict)
    #: deepest tiles written, with the (min, max) of their finite pixels
    tiles: dict[int, tuple[float, float]] = field(default_factory=dict)
    stretch: list[float] = field(default_factory=list)
    digest: str = ""
    created: str = ""

    @classmethod
    def load(cls, root: Path) -> Manifest:
        path = root / MANIFEST_NAME
        if not path.exists():
            return cls()
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        if raw.get("version") != MANIFEST_VERSION:
            return cls()
        return cls(
            params=dict(raw.get("params", {})),
            inputs={k: ImageInput.from_json(v) for k, v in raw.get("inputs", {}).items()},
            tiles={int(k): (float(v[0]), float(v[1])) for k, v in raw.get("tiles", {}).items()},
            stretch=[float(v) for v in raw.get("stretch", [])],
            digest=str(raw.get("digest", "")),
            created=str(raw.get("created", "")),
        )

    def save(self, root: Path) -> None:
        raw = {
            "version": MANIFEST_VERSION,
            "params": self.params,
            "inputs": {k: v.to_json() for k, v in sorted(self.inputs.items())},
            "tiles": {str(k): list(v) for k, v in sorted(self.tiles.items())},
            "stretch": self.stretch,
            "digest": self.digest,
            "created": self.created,
        }
        atomic_write(root / MANIFEST_NAME, json.dumps(raw, indent=1).encode("utf-8"))


__all__ = ["MANIFEST_NAME", "Manifest"]
