"""Record datestamps that change only when a record does.

OAI-PMH harvesters ask for what changed since their last visit (``from``, OAI-PMH 2.0
§3.3.1), and VOResource's ``updated`` says when a record last changed.  Records are rebuilt
at every start, so each record's content hash and datestamp are kept in a small JSON file of
the data directory: an unchanged record keeps its datestamp across restarts, and a record
that is no longer built (a service taken out of the declaration) is remembered as deleted, so
harvesters learn that it went (``deletedRecord`` persistent, OAI-PMH 2.0 §4.2).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from registry.records import Record, Tombstone, utc_timestamp


class RecordStamps:
    """The ``{identifier: {digest, updated}}`` file of a data directory."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _load(self) -> dict[str, dict[str, str]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def apply(self, records: Sequence[Record], now: datetime | None = None) -> list[Tombstone]:
        """Stamp ``records``: their known datestamp if unchanged, ``now`` if new or changed;
        return the records published before and absent now, with when they went."""
        moment = (now or datetime.now(UTC)).replace(microsecond=0)
        known = self._load()
        changed = False
        for record in records:
            digest = record.digest()
            entry = known.get(record.identifier)
            updated = _moment(entry) if entry and entry.get("digest") == digest and not entry.get("deleted") else None
            if updated is None:
                updated = moment
                known[record.identifier] = {"digest": digest, "updated": utc_timestamp(moment)}
                changed = True
            record.stamp(updated)
        current = {record.identifier for record in records}
        tombstones = []
        for identifier, entry in sorted(known.items()):
            if identifier in current:
                continue
            if not entry.get("deleted"):
                known[identifier] = {"digest": "", "updated": utc_timestamp(moment), "deleted": "yes"}
                changed = True
            tombstones.append(Tombstone(identifier, _moment(known[identifier]) or moment))
        if changed:
            self._save(known)
        return tombstones

    def _save(self, data: dict[str, dict[str, str]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=self.path.parent, prefix=".stamps-", suffix=".json")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=1, sort_keys=True)
        os.replace(name, self.path)


def _moment(entry: dict[str, str]) -> datetime | None:
    try:
        return datetime.strptime(entry["updated"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except (KeyError, ValueError, TypeError):
        return None


__all__ = ["RecordStamps"]
