"""The access layer: who may see which rows and files.

SIPAD-CoRoT had two policies (public and private, with groups granted by an administrator)
and the N2 archive had proprietary periods for the CoRoT Co-Is.  Every read path (TAP rows,
cone, SSA, file downloads, HiPS) asks this module; nothing else decides visibility.

A row or file with ``access_group = 'public'`` is visible to everyone.  Otherwise it is
visible to members of its group, and to everyone once its ``release_date`` has passed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

PUBLIC_GROUP = "public"


@dataclass(frozen=True)
class Viewer:
    """The identity a request is served for; anonymous unless authenticated."""

    user: str | None = None
    groups: frozenset[str] = field(default_factory=frozenset)

    @property
    def anonymous(self) -> bool:
        return self.user is None

    @classmethod
    def anonymous_viewer(cls) -> Viewer:
        return cls()


def _parse_release(release: str | datetime | None) -> datetime | None:
    if release is None or release == "":
        return None
    value = release if isinstance(release, datetime) else datetime.fromisoformat(str(release).replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def can_read(
    viewer: Viewer,
    access_group: str | None,
    release_date: str | datetime | None,
    now: datetime | None = None,
) -> bool:
    """Whether ``viewer`` may read an item with the given access fields."""
    if access_group in (None, "", PUBLIC_GROUP):
        return True
    if access_group in viewer.groups:
        return True
    released = _parse_release(release_date)
    return released is not None and released <= (now or datetime.now(UTC))


__all__ = ["PUBLIC_GROUP", "Viewer", "can_read"]
