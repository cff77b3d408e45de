"""Outbox rows to CloudEvents 1.0 (structured JSON mode) and back."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from datasources.events.schemas import InvalidEvent, validate_event

SOURCE = "/ucg"
SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/cloudevents+json"


@dataclass(frozen=True)
class CloudEvent:
    """A decoded, validated event as consumers see it (decoded once per process)."""

    id: uuid.UUID
    type: str
    subject: str
    sequence: int
    time: datetime
    data: dict[str, Any]
    raw: dict[str, Any]


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def envelope(
    *,
    event_id: uuid.UUID,
    event_type: str,
    subject: str,
    sequence: int,
    time: datetime,
    data: dict[str, Any],
) -> dict[str, Any]:
    return {
        "specversion": SPEC_VERSION,
        "id": str(event_id),
        "source": SOURCE,
        "type": event_type,
        "time": rfc3339(time),
        "subject": subject,
        "datacontenttype": "application/json",
        "sequence": sequence,
        "partitionkey": subject,
        "data": data,
    }


def from_outbox_row(row: Any) -> dict[str, Any]:
    """The envelope of one outbox row (columns event_id, type, aggregate_id, sequence, ...)."""
    return envelope(
        event_id=row["event_id"],
        event_type=row["type"],
        subject=row["aggregate_id"],
        sequence=row["sequence"],
        time=row["created_at"],
        data=row["payload"],
    )


def encode(event: dict[str, Any]) -> bytes:
    return orjson.dumps(event)


def decode(value: bytes, *, validate: bool = True) -> CloudEvent:
    """Parse and (by default) validate one message value; InvalidEvent if it is not ours."""
    try:
        raw = orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        raise InvalidEvent(f"not JSON: {exc}") from None
    if validate:
        validate_event(raw)
    try:
        return CloudEvent(
            id=uuid.UUID(raw["id"]),
            type=raw["type"],
            subject=raw["subject"],
            sequence=int(raw["sequence"]),
            time=datetime.fromisoformat(raw["time"]),
            data=raw["data"],
            raw=raw,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidEvent(f"not a UCG CloudEvent: {exc}") from None
