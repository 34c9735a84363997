"""Target names of the light curves: what TARGETNAME accepts and what Target.Name shows.

A CoRoT target is known by its CoRoT ID, by the name of the planet it hosts (``CoRoT-7``
hosts CoRoT-7 b, CoRoT data spec §7) or, for bright asteroseismology targets, by its star
name (``HD 49933``).  Names are compared without case and white space.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from vo_service.mission import Planet

_ID_FORM = re.compile(r"^(?:corot(?:[-_ ]?id)?[-_ ]?)?(\d{1,10})$")
_PLANET_LETTER = re.compile(r"\s+[b-z]$")


def normalise(name: str) -> str:
    """Case- and blank-insensitive key of a name."""
    return re.sub(r"\s+", "", name).lower()


def host_name(planet_name: str) -> str:
    """``CoRoT-7 b`` → ``CoRoT-7``."""
    return _PLANET_LETTER.sub("", planet_name.strip())


@dataclass(frozen=True)
class TargetNames:
    """Names ↔ CoRoT IDs of the archive's targets."""

    ids_by_name: Mapping[str, frozenset[int]] = field(default_factory=dict)
    display: Mapping[int, str] = field(default_factory=dict)

    @classmethod
    def build(cls, planets: Iterable[Planet], star_names: Iterable[tuple[int, str]]) -> TargetNames:
        ids: dict[str, set[int]] = {}
        display: dict[int, str] = {}
        for corot_id, name in star_names:
            if name and name.strip():
                ids.setdefault(normalise(name), set()).add(int(corot_id))
                display.setdefault(int(corot_id), name.strip())
        for planet in planets:
            if planet.corot_id is None:
                continue
            host = host_name(planet.name)
            for key in (planet.name, host):
                ids.setdefault(normalise(key), set()).add(planet.corot_id)
            display[planet.corot_id] = host
        return cls({key: frozenset(value) for key, value in ids.items()}, display)

    def resolve(self, name: str) -> frozenset[int]:
        """CoRoT IDs a TARGETNAME value designates (empty when it designates none)."""
        key = normalise(name)
        if key in self.ids_by_name:
            return self.ids_by_name[key]
        match = _ID_FORM.match(key)
        if match:
            return frozenset({int(match.group(1))})
        return frozenset()

    def name_of(self, corot_id: int) -> str:
        """Target.Name: the host or star name when there is one, else ``CoRoT <id>``."""
        return self.display.get(corot_id, f"CoRoT {corot_id}")


__all__ = ["TargetNames", "host_name", "normalise"]
