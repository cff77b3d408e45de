"""The compiled validators (fastjsonschema, the hot path) and jsonschema (the judge) say
yes to the same events: every schema's examples, and each example broken one field at a
time (missing, wrong type, out of range, bad uuid, unknown envelope attribute)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from datasources.events import schemas
from domain.events import EVENT_TYPES

_WRONG_VALUES: tuple[Any, ...] = (None, -1, 1.5, True, "", "not-a-uuid", [], {})


def _variants(example: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield example
    yield {**example, "unknown": 1}
    for key in example:
        yield {k: v for k, v in example.items() if k != key}
        for wrong in _WRONG_VALUES:
            yield {**example, key: wrong}
    data = example.get("data")
    if isinstance(data, dict):
        for key in data:
            yield {**example, "data": {k: v for k, v in data.items() if k != key}}
            for wrong in _WRONG_VALUES:
                yield {**example, "data": {**data, key: wrong}}


def _judge(event_type: str, envelope: dict[str, Any]) -> bool:
    validator = schemas._validator(f"{schemas._BASE}{event_type}.json")
    return next(iter(validator.iter_errors(envelope)), None) is None


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_compiled_and_jsonschema_agree(event_type: str) -> None:
    examples = schemas.load_schema(event_type).get("examples", [])
    assert examples, f"{event_type} has no example"
    checked = rejected = 0
    for example in examples:
        for envelope in _variants(copy.deepcopy(example)):
            ref = f"{schemas._BASE}{event_type}.json"
            assert schemas._passes(ref, envelope) == _judge(event_type, envelope), envelope
            checked += 1
            rejected += not _judge(event_type, envelope)
            if isinstance(envelope.get("data"), dict):
                data_ref = f"{ref}#/$defs/data"
                judge = schemas._validator(data_ref)
                ok = next(iter(judge.iter_errors(envelope["data"])), None) is None
                assert schemas._passes(data_ref, envelope["data"]) == ok, envelope["data"]
    assert checked > 10 and rejected > 0


def test_invalid_event_message_still_from_jsonschema() -> None:
    example = copy.deepcopy(schemas.load_schema("ucg.inventory.stock_changed.v1")["examples"][0])
    example["data"]["onHand"] = -1
    with pytest.raises(schemas.InvalidEvent, match=r"data/onHand: -1 is less than the minimum"):
        schemas.validate_event(example)
    with pytest.raises(schemas.InvalidEvent, match=r"onHand: -1 is less than the minimum"):
        schemas.validate_event_data("ucg.inventory.stock_changed.v1", example["data"])


@pytest.mark.parametrize(
    "value", ["2d1c0b9a-8e7f-4a6b-9c5d-4e3f2a1b0c9d", "x", "2d1c0b9a8e7f4a6b9c5d4e3f2a1b0c9d", 7]
)
def test_uuid_format_matches_jsonschema(value: Any) -> None:
    from jsonschema import FormatChecker

    expected = FormatChecker().conforms(value, "uuid")
    assert (not isinstance(value, str) or schemas._is_uuid(value)) == expected
