"""What changed between the 2020 export's IODs and modules and the current tables: ids, names and Types."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Named:
    id: str
    name: str


@dataclass(frozen=True)
class Renamed:
    old: Named
    new: Named


@dataclass(frozen=True)
class TypeChange:
    """One attribute row whose Type differs from the 2020 export's, in one module at one sequence path."""

    module_id: str
    tag: str
    path: tuple[str, ...]
    old: str
    new: str


@dataclass(frozen=True)
class Changes:
    new_iods: tuple[Named, ...] = ()
    renamed_iods: tuple[Renamed, ...] = ()
    removed_iods: tuple[Named, ...] = ()
    new_modules: tuple[Named, ...] = ()
    renamed_modules: tuple[Renamed, ...] = ()
    removed_modules: tuple[Named, ...] = ()
    type_changes: tuple[TypeChange, ...] = ()  # by module, then in the module's row order
    by_tag: dict[str, tuple[TypeChange, ...]] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        grouped: dict[str, list[TypeChange]] = {}
        for change in self.type_changes:
            grouped.setdefault(change.tag, []).append(change)
        self.by_tag.update({tag: tuple(found) for tag, found in sorted(grouped.items())})
