"""Schema versioning: what changed since the released schema, and whether the changelog owns it.

The released API is `schema/released.graphql` (its first line names the version) and the
released event payloads `schema/released-events/*.json`. A breaking change against them
(graphql-core's `find_breaking_changes`; for events: a type, property or enum value
removed, a property's type changed, a property newly required) is allowed only when
CHANGELOG.md names its coordinate (`Type.field`, `event.type.property`) in backticks under
a heading of a new major version (`## 2.0.0 ...`). `scripts/release-schema X.Y.Z` takes the
next snapshot. docs/VERSIONING.md has the policy.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphql import build_schema, find_breaking_changes, find_dangerous_changes

ROOT = Path(__file__).resolve().parents[1]
RELEASED_SCHEMA = ROOT / "schema" / "released.graphql"
RELEASED_EVENTS = ROOT / "schema" / "released-events"
CURRENT_EVENTS = ROOT / "schemas" / "events"
_VERSION = re.compile(r"(\d+)\.(\d+)\.(\d+)")
_COORDINATE = re.compile(r"\b([A-Za-z_]\w*\.[A-Za-z_]\w*)\b")


@dataclass(frozen=True)
class Change:
    coordinate: str
    description: str


def released_major(sdl: str) -> int:
    match = _VERSION.search(sdl.splitlines()[0] if sdl else "")
    if match is None:
        raise ValueError("the released schema's first line names no version (X.Y.Z)")
    return int(match.group(1))


def coordinate_of(description: str) -> str:
    """`Type.field` a graphql-core change description is about, else its type name."""
    match = _COORDINATE.search(description)
    if match is not None:
        return match.group(1)
    return description.split(" ", 1)[0].rstrip(".")


def schema_changes(released: str, current: str) -> tuple[list[Change], list[Change]]:
    """(breaking, dangerous) changes of the GraphQL schema."""
    old, new = build_schema(released), build_schema(current)
    return (
        [
            Change(coordinate_of(c.description), c.description)
            for c in find_breaking_changes(old, new)
        ],
        [
            Change(coordinate_of(c.description), c.description)
            for c in find_dangerous_changes(old, new)
        ],
    )


def event_changes(released: dict[str, Any], current: dict[str, Any]) -> list[Change]:
    """Breaking changes of event payload schemas (file stem -> JSON Schema)."""
    changes: list[Change] = []
    for event_type, old in released.items():
        new = current.get(event_type)
        if new is None:
            changes.append(Change(event_type, f"event type {event_type} was removed"))
            continue
        changes += _object_changes(event_type, _data(old), _data(new))
    return changes


def _data(schema: dict[str, Any]) -> dict[str, Any]:
    """The payload schema: the envelope's `data` property when there is one."""
    data = schema.get("properties", {}).get("data")
    return data if isinstance(data, dict) else schema


def _object_changes(path: str, old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    changes: list[Change] = []
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    for name, prop in old_props.items():
        where = f"{path}.{name}"
        if name not in new_props:
            changes.append(Change(where, f"{where} was removed"))
            continue
        if prop.get("type") != new_props[name].get("type"):
            changes.append(
                Change(
                    where,
                    f"{where} changed type {prop.get('type')} -> {new_props[name].get('type')}",
                )
            )
        removed = set(prop.get("enum", [])) - set(new_props[name].get("enum", prop.get("enum", [])))
        if removed:
            changes.append(Change(where, f"{where} lost enum values {sorted(removed)}"))
        if prop.get("type") == "object":
            changes += _object_changes(where, prop, new_props[name])
    for name in set(new.get("required", [])) - set(old.get("required", [])):
        if name in old_props:
            changes.append(Change(f"{path}.{name}", f"{path}.{name} became required"))
    return changes


def load_events(directory: Path) -> dict[str, Any]:
    return {
        p.name.removesuffix(".json"): json.loads(p.read_text()) for p in directory.glob("*.json")
    }


def acknowledged(changelog: str, major: int) -> set[str]:
    """Coordinates named in backticks under headings of versions with a major above `major`."""
    named: set[str] = set()
    current_major: int | None = None
    for line in changelog.splitlines():
        if line.startswith("## "):
            match = _VERSION.search(line)
            current_major = int(match.group(1)) if match else None
            continue
        if current_major is not None and current_major > major:
            named |= set(re.findall(r"`([^`]+)`", line))
    return named


def unacknowledged(changes: list[Change], changelog: str, major: int) -> list[Change]:
    named = acknowledged(changelog, major)
    return [c for c in changes if c.coordinate not in named]
