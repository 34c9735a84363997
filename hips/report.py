"""The outcome of a survey build, as the CLI prints it and :func:`hips.build.build_all` returns it."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class BuildReport:
    """What one survey build did."""

    survey: str
    inputs: int = 0
    inspected: int = 0
    tiles_rendered: int = 0
    tiles_removed: int = 0
    ancestors_rendered: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    changed: bool = False
    seconds: float = 0.0

    def summary(self) -> str:
        state = "updated" if self.changed else "up to date"
        text = (f"{self.survey}: {state}; {self.inputs} inputs ({self.inspected} inspected), "
                f"{self.tiles_rendered} tiles written, {self.ancestors_rendered} lower-order tiles rebuilt, "
                f"{self.tiles_removed} removed, {self.seconds:.1f} s")
        for path, reason in self.skipped:
            text += f"\n  skipped {path}: {reason}"
        return text


__all__ = ["BuildReport"]
