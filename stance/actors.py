"""Actor dictionaries: who the actors of a text are, and the other names each one goes by.

An :class:`Actor` is a canonical name with its aliases, its type and the actor it speaks
for; an :class:`Actors` dictionary is an ordered collection of them, unique by name,
that is built from the forms users write (:meth:`Actors.coerce`), read from and written
to YAML or JSON (:meth:`Actors.load`, :meth:`Actors.save`), merged over another
(:meth:`Actors.merge`) and rolled up along affiliations (:meth:`Actors.roll_up`).
Finding the actors' mentions in a text is :func:`stance.mentions.find_mentions`.

Example:
    >>> actors = Actors.coerce({"Turkey": ["Ankara"], "İbrahim Kalın": {"affiliation": "Turkey"}})
    >>> actors.roll_up()
    {'Turkey': 'Turkey', 'İbrahim Kalın': 'Turkey'}
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from stance.names import name_key

logger = logging.getLogger(__name__)

__all__ = ["Actor", "Actors"]

_ENTRY_KEYS = ("aliases", "type", "affiliation")


@dataclass(frozen=True)
class Actor:
    """One actor: its canonical name, the other names it goes by, its type and affiliation.

    Args:
        name: The canonical name, used in predictions and graphs.
        aliases: Other surface names of the actor in texts ("Ankara", "GNA").
        type: ``"person"``, ``"country"``, ``"organization"``, ``"group"``... or ``None``
            when unknown; it decides which name variants are generated.
        affiliation: The canonical name of the actor this one speaks for (a spokesman ->
            his country); :meth:`Actors.roll_up` follows it.

    Example:
        >>> Actor("İbrahim Kalın", type="person", affiliation="Turkey").affiliation
        'Turkey'
    """

    name: str
    aliases: tuple[str, ...] = ()
    type: str | None = None
    affiliation: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError(
                f"An actor needs a non-empty name, got {self.name!r}; "
                "give the canonical name as a string."
            )
        name = self.name.strip()
        object.__setattr__(self, "name", name)
        aliases: Any = self.aliases
        if aliases is None:
            aliases = ()
        elif isinstance(aliases, str):
            aliases = (aliases,)
        elif not isinstance(aliases, Iterable):
            raise ValueError(
                f"The aliases of actor {name!r} must be a list of strings, got {aliases!r}."
            )
        cleaned: list[str] = []
        for alias in aliases:
            if not isinstance(alias, str):
                raise ValueError(
                    f"Actor {name!r} has an alias {alias!r} of type {type(alias).__name__}; "
                    "aliases must be strings (quote numbers in YAML)."
                )
            alias = alias.strip()
            if alias and alias != name and alias not in cleaned:
                cleaned.append(alias)
        object.__setattr__(self, "aliases", tuple(cleaned))
        for attr in ("type", "affiliation"):
            value = getattr(self, attr)
            if value is None:
                continue
            if not isinstance(value, str):
                raise ValueError(
                    f"The {attr} of actor {name!r} must be a string or null, got {value!r}."
                )
            value = value.strip() or None
            if attr == "type" and value is not None:
                value = value.lower()
            object.__setattr__(self, attr, value)
        if self.affiliation == name:
            raise ValueError(
                f"Actor {name!r} is affiliated with itself; leave affiliation empty for an "
                "actor that speaks for itself."
            )

    @property
    def surface_forms(self) -> tuple[str, ...]:
        """The canonical name followed by the aliases."""
        return (self.name, *self.aliases)

    def to_dict(self) -> dict[str, Any] | None:
        """The entry of this actor in the dictionary format (``None`` when it has none)."""
        entry: dict[str, Any] = {}
        if self.type is not None:
            entry["type"] = self.type
        if self.aliases:
            entry["aliases"] = list(self.aliases)
        if self.affiliation is not None:
            entry["affiliation"] = self.affiliation
        return entry or None


def _entry_to_actor(name: Any, value: Any) -> Actor:
    """One ``name: value`` entry of the dictionary format as an :class:`Actor`."""
    if not isinstance(name, str):
        raise ValueError(
            f"Actor names must be strings, got {name!r} of type {type(name).__name__}; "
            "quote the name in YAML."
        )
    if isinstance(value, Actor):
        if value.name != name.strip():
            raise ValueError(
                f"The entry {name!r} holds an Actor named {value.name!r}; key the entry by "
                "the actor's own name."
            )
        return value
    if value is None:
        return Actor(name)
    if isinstance(value, str):
        return Actor(name, (value,))
    if isinstance(value, Mapping):
        unknown = sorted(str(k) for k in value if k not in _ENTRY_KEYS)
        if unknown:
            raise ValueError(
                f"Actor {name!r} has unknown keys {unknown}; expected only {list(_ENTRY_KEYS)}."
            )
        return Actor(
            name,
            value.get("aliases") or (),
            value.get("type"),
            value.get("affiliation"),
        )
    if isinstance(value, Sequence):
        return Actor(name, tuple(value))
    raise ValueError(
        f"Actor {name!r} has the entry {value!r} of type {type(value).__name__}; expected null, "
        "a list of aliases, or a mapping with 'aliases', 'type' and 'affiliation'."
    )


class Actors:
    """An ordered, immutable collection of :class:`Actor`, unique by name.

    Build it from actors, or with :meth:`coerce` from a list of names or a dictionary,
    or with :meth:`load` from a YAML or JSON file::

        Turkey:
          type: country
          aliases: [Ankara, Turkish government]
        İbrahim Kalın:
          type: person
          affiliation: Turkey

    Raises:
        ValueError: on a repeated name, or on affiliations that form a cycle.

    Example:
        >>> actors = Actors.coerce({"Turkey": ["Ankara"], "İbrahim Kalın": None})
        >>> actors.names
        ('Turkey', 'İbrahim Kalın')
        >>> actors["Turkey"].aliases
        ('Ankara',)
    """

    __slots__ = ("_actors", "_by_name")

    def __init__(self, actors: Iterable[Actor]) -> None:
        items = tuple(actors)
        by_name: dict[str, Actor] = {}
        for actor in items:
            if not isinstance(actor, Actor):
                raise ValueError(
                    f"Actors holds Actor objects, got {actor!r}; use Actors.coerce() for "
                    "names or dictionaries."
                )
            if actor.name in by_name:
                raise ValueError(
                    f"The actor {actor.name!r} is listed twice; give each actor once and put "
                    "its other names in its aliases."
                )
            by_name[actor.name] = actor
        self._actors = items
        self._by_name = by_name
        self.roll_up()  # fail early on an affiliation cycle

    @classmethod
    def coerce(cls, obj: Actors | Sequence[str] | Mapping[str, Any]) -> Actors:
        """Build an :class:`Actors` from the forms users write.

        Args:
            obj: An :class:`Actors` (returned as is); a list of names (or :class:`Actor`);
                a dictionary ``name -> list of aliases``; or the dictionary format
                ``name -> {aliases: [...], type: ..., affiliation: ...}`` (a value may also
                be null or a single alias).

        Raises:
            ValueError: naming the entry that does not fit and the forms that do.
        """
        if isinstance(obj, Actors):
            return obj
        if isinstance(obj, str):
            raise ValueError(
                f"Expected a list of actor names or a dictionary, got the single string "
                f"{obj!r}; wrap it in a list: [{obj!r}]."
            )
        if isinstance(obj, Mapping):
            return cls(_entry_to_actor(name, value) for name, value in obj.items())
        if isinstance(obj, Sequence):
            actors: list[Actor] = []
            for i, item in enumerate(obj):
                if isinstance(item, Actor):
                    actors.append(item)
                elif isinstance(item, str):
                    actors.append(Actor(item))
                else:
                    raise ValueError(
                        f"Actor #{i} is {item!r} of type {type(item).__name__}; a list of actors "
                        "holds names (strings); use a dictionary to give aliases."
                    )
            return cls(actors)
        raise ValueError(
            f"Expected actors as a list of names or a dictionary name -> aliases, got "
            f"{type(obj).__name__}; for example ['Turkey', 'Khalifa Haftar'] or "
            "{'Turkey': ['Ankara']}."
        )

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Actors:
        """Read a dictionary from a ``.yaml``/``.yml`` or ``.json`` file.

        Raises:
            ValueError: naming the file (and the entry) that does not fit the format.
        """
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix not in (".yaml", ".yml", ".json"):
            raise ValueError(
                f"Cannot read actors from {path}: expected a .yaml, .yml or .json file, "
                f"got the extension {suffix!r}."
            )
        text = path.read_text(encoding="utf-8")
        try:
            data = json.loads(text) if suffix == ".json" else yaml.safe_load(text)
        except (json.JSONDecodeError, yaml.YAMLError) as error:
            raise ValueError(f"Cannot parse the actor dictionary {path}: {error}") from None
        if data is None:
            raise ValueError(
                f"The actor dictionary {path} is empty; write one entry per actor, "
                "e.g. 'Turkey: [Ankara]'."
            )
        try:
            return cls.coerce(data)
        except ValueError as error:
            raise ValueError(f"In the actor dictionary {path}: {error}") from None

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the dictionary to ``path`` (YAML or JSON by extension) for :meth:`load`."""
        path = Path(path)
        suffix = path.suffix.lower()
        data = self.to_dict()
        if suffix == ".json":
            text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
        elif suffix in (".yaml", ".yml"):
            text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
        else:
            raise ValueError(
                f"Cannot save actors to {path}: expected a .yaml, .yml or .json file, "
                f"got the extension {suffix!r}."
            )
        path.write_text(text, encoding="utf-8")

    def to_dict(self) -> dict[str, Any]:
        """The dictionary format: ``{name: {type, aliases, affiliation} or None}``."""
        return {actor.name: actor.to_dict() for actor in self._actors}

    def merge(self, other: Actors) -> Actors:
        """The union of two dictionaries; on a name in both, ``other``'s entry wins.

        Meant for a user dictionary (``other``) over discovered actors (``self``): an actor
        of ``self`` whose name is a name or alias of an actor of ``other`` (up to case and
        diacritics) is taken to be that actor and dropped, and an alias of ``self`` that
        ``other`` gives to one of its actors is dropped too, so the two never compete.
        Affiliations to a dropped actor follow it to its new name.
        """
        other = Actors.coerce(other)
        owner: dict[str, str] = {}
        for actor in other:
            for form in actor.surface_forms:
                owner.setdefault(name_key(form), actor.name)
        renamed: dict[str, str] = {}
        merged: list[Actor] = []
        for actor in self._actors:
            if actor.name in other:
                merged.append(other[actor.name])
                continue
            target = owner.get(name_key(actor.name))
            if target is not None:
                logger.debug("Merging actor %r into %r.", actor.name, target)
                renamed[actor.name] = target
                continue
            aliases = tuple(a for a in actor.aliases if name_key(a) not in owner)
            merged.append(Actor(actor.name, aliases, actor.type, actor.affiliation))
        seen = {actor.name for actor in merged}
        merged.extend(actor for actor in other if actor.name not in seen)
        result = []
        for actor in merged:
            affiliation = renamed.get(actor.affiliation or "", actor.affiliation)
            if affiliation == actor.name:
                affiliation = None
            result.append(Actor(actor.name, actor.aliases, actor.type, affiliation))
        return Actors(result)

    def roll_up(self) -> dict[str, str]:
        """Map each actor to the actor it counts for, following affiliation chains.

        An actor with no affiliation counts for itself. An affiliation to a name outside
        the dictionary still counts (the spokesman of an unlisted country rolls up to it).

        Raises:
            ValueError: when affiliations form a cycle.

        Example:
            >>> Actors([Actor("Kalın", affiliation="Turkey"), Actor("Turkey")]).roll_up()
            {'Kalın': 'Turkey', 'Turkey': 'Turkey'}
        """
        result: dict[str, str] = {}
        for actor in self._actors:
            chain = [actor.name]
            current: Actor | None = actor
            while current is not None and current.affiliation is not None:
                nxt = current.affiliation
                if nxt in chain:
                    raise ValueError(
                        f"The affiliations {' -> '.join([*chain, nxt])} form a cycle; "
                        "an actor must not speak, directly or not, for itself."
                    )
                chain.append(nxt)
                current = self._by_name.get(nxt)
            result[actor.name] = chain[-1]
        return result

    @property
    def names(self) -> tuple[str, ...]:
        """The canonical names, in order."""
        return tuple(actor.name for actor in self._actors)

    def __iter__(self) -> Iterator[Actor]:
        return iter(self._actors)

    def __len__(self) -> int:
        return len(self._actors)

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __getitem__(self, name: str) -> Actor:
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(f"No actor named {name!r}; the actors are {list(self.names)}.") from None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Actors) and self._actors == other._actors

    def __hash__(self) -> int:
        return hash(self._actors)

    def __repr__(self) -> str:
        return f"Actors({list(self._actors)!r})"
