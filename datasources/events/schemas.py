"""JSON Schemas of the events (`schemas/events/`), used on produce and on consume.

`validate_event(envelope)` checks a whole CloudEvent against its type's schema;
`validate_event_data(type, data)` checks only the payload, before it is written
to the outbox.

Both run on the hot path (every outbox write; every consumed event, in every worker),
so a valid event is checked by a fastjsonschema validator compiled once per schema
(~10x cheaper than jsonschema's); only an event that fails it is checked again by
jsonschema, which stays the judge and writes the message.
"""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import fastjsonschema
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource

from domain.events import EVENT_TYPES

SCHEMAS_DIR = Path(__file__).resolve().parents[2] / "schemas" / "events"
ENVELOPE_SCHEMA = "cloudevent.v1.json"
_BASE = "https://schemas.ucg.dev/events/"


class InvalidEvent(ValueError):
    """An event (or its data) does not match its type's JSON Schema, or its type is unknown."""


def schema_path(event_type: str) -> Path:
    return SCHEMAS_DIR / f"{event_type}.json"


@functools.cache
def _registry() -> Registry[Any]:
    resources = []
    for path in sorted(SCHEMAS_DIR.glob("*.json")):
        contents = json.loads(path.read_text())
        resources.append((contents["$id"], Resource.from_contents(contents)))
    return Registry().with_resources(resources)


@functools.cache
def load_schema(name: str) -> dict[str, Any]:
    """The schema document of an event type (or of the envelope: `cloudevent.v1`)."""
    path = SCHEMAS_DIR / f"{name}.json"
    if not path.exists():
        raise InvalidEvent(f"no JSON Schema for event type {name!r} ({path.name})")
    schema: dict[str, Any] = json.loads(path.read_text())
    return schema


@functools.cache
def _validator(ref: str) -> Draft202012Validator:
    return Draft202012Validator({"$ref": ref}, registry=_registry(), format_checker=FormatChecker())


def _is_uuid(value: str) -> bool:
    # What jsonschema's FormatChecker accepts for "uuid".
    try:
        return all(value[i] == "-" for i in (8, 13, 18, 23)) and bool(uuid.UUID(value))
    except (ValueError, IndexError):
        return False


def _schema_by_uri(uri: str) -> Any:
    name = uri.removeprefix(_BASE).split("#")[0].removesuffix(".json")
    return load_schema(name)


@functools.cache
def _compiled(ref: str) -> Callable[[Any], Any]:
    # jsonschema checks "date-time" only with rfc3339-validator installed (it is not):
    # accept any string there too, so both say yes to the same events.
    return fastjsonschema.compile(
        {"$ref": ref},
        handlers={"https": _schema_by_uri},
        formats={"uuid": _is_uuid, "date-time": lambda _: True},
    )


def _passes(ref: str, instance: Any) -> bool:
    try:
        _compiled(ref)(instance)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


def _check(validator: Draft202012Validator, instance: Any, what: str) -> None:
    error = next(iter(validator.iter_errors(instance)), None)
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(root)"
        raise InvalidEvent(f"{what}: {where}: {error.message}")


def _known(event_type: object) -> str:
    if not isinstance(event_type, str) or event_type not in EVENT_TYPES:
        raise InvalidEvent(f"unknown event type {event_type!r}: add it to domain/events.py")
    load_schema(event_type)
    return event_type


def validate_event(envelope: Any) -> None:
    """Raise InvalidEvent unless `envelope` is a valid CloudEvent of a known type."""
    if not isinstance(envelope, dict):
        raise InvalidEvent("an event must be a JSON object")
    event_type = _known(envelope.get("type"))
    ref = f"{_BASE}{event_type}.json"
    if not _passes(ref, envelope):
        _check(_validator(ref), envelope, event_type)


def validate_event_data(event_type: str, data: Any) -> None:
    """Raise InvalidEvent unless `data` is a valid payload of `event_type`."""
    _known(event_type)
    ref = f"{_BASE}{event_type}.json#/$defs/data"
    if not _passes(ref, data):
        _check(_validator(ref), data, f"{event_type} data")


def is_valid(envelope: Any) -> bool:
    try:
        validate_event(envelope)
    except (InvalidEvent, ValidationError):
        return False
    return True
