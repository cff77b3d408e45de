"""Every event type the code can produce is registered, has a JSON Schema, and validates."""

from __future__ import annotations

import copy
import json
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from datasources.events.cloudevents import decode, encode, from_outbox_row
from datasources.events.schemas import (
    SCHEMAS_DIR,
    InvalidEvent,
    load_schema,
    validate_event,
    validate_event_data,
)
from datasources.kafka import topics
from domain.events import EVENT_TYPE_NAME, EVENT_TYPES, INBOUND_EVENT_TYPES

ROOT = Path(__file__).resolve().parents[2]
_LITERAL = re.compile(r"""["'](ucg\.[a-z]+(?:\.[a-z][a-z_]*)+\.v[0-9]+)["']""")


def type_names_in_code() -> set[str]:
    found: set[str] = set()
    for package in ("api", "domain", "datasources", "resolvers"):
        for path in (ROOT / package).rglob("*.py"):
            found.update(_LITERAL.findall(path.read_text()))
    return found - set(topics.ALL) - INBOUND_EVENT_TYPES


def test_every_event_type_in_the_code_is_registered() -> None:
    names = type_names_in_code()
    assert "ucg.catalog.channel_created.v1" in names  # the scan finds real producers
    missing = sorted(names - set(EVENT_TYPES))
    assert not missing, f"add these to domain/events.py and schemas/events/: {missing}"


def test_every_registered_type_has_a_schema_and_every_schema_a_type() -> None:
    files = {p.stem for p in SCHEMAS_DIR.glob("*.json")} - {"cloudevent.v1"}
    assert files == set(EVENT_TYPES)
    for name, event_type in EVENT_TYPES.items():
        assert EVENT_TYPE_NAME.match(name)
        schema = load_schema(name)
        assert schema["properties"]["type"] == {"const": name}
        assert event_type.topic in topics.OUTBOUND


@pytest.mark.parametrize("name", sorted(EVENT_TYPES))
def test_each_schema_example_validates_and_a_broken_one_does_not(name: str) -> None:
    examples = load_schema(name)["examples"]
    assert examples
    for example in examples:
        validate_event(example)
        validate_event_data(name, example["data"])
        broken = copy.deepcopy(example)
        required = load_schema(name)["$defs"]["data"]["required"]
        del broken["data"][required[0]]
        with pytest.raises(InvalidEvent):
            validate_event(broken)
        wrong_type = {**example, "type": "ucg.nothing.happened.v1"}
        with pytest.raises(InvalidEvent):
            validate_event(wrong_type)
        no_sequence = {k: v for k, v in example.items() if k != "sequence"}
        with pytest.raises(InvalidEvent):
            validate_event(no_sequence)


def test_an_outbox_row_becomes_a_valid_cloudevent() -> None:
    channel = uuid.uuid4()
    row = {
        "event_id": uuid.uuid4(),
        "type": "ucg.catalog.channel_created.v1",
        "aggregate_id": str(channel),
        "sequence": 1,
        "created_at": datetime(2026, 1, 2, 3, 4, 5, 6000, tzinfo=UTC),
        "payload": {"channelId": str(channel), "code": "WEB", "currencyCode": "EUR"},
    }
    raw = from_outbox_row(row)
    validate_event(raw)
    assert raw["time"] == "2026-01-02T03:04:05.006000Z"
    assert raw["subject"] == raw["partitionkey"] == str(channel)
    event = decode(encode(raw))
    assert (event.id, event.sequence, event.data) == (row["event_id"], 1, row["payload"])


def test_schemas_are_well_formed_json_with_ids() -> None:
    for path in SCHEMAS_DIR.glob("*.json"):
        schema = json.loads(path.read_text())
        assert schema["$id"].endswith(f"/{path.name}")
        assert schema.get("description")
