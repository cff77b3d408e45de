"""A breaking change to the API or to an event payload fails unless CHANGELOG.md lists it
under a new major version (api/versioning.py, docs/VERSIONING.md)."""

from __future__ import annotations

from api.versioning import (
    CURRENT_EVENTS,
    RELEASED_EVENTS,
    RELEASED_SCHEMA,
    ROOT,
    event_changes,
    load_events,
    released_major,
    schema_changes,
    unacknowledged,
)

RELEASED = """# ucg GraphQL API 1.4.2
type Query { stock(sku: String!): Stock, old: Int }
type Stock { onHand: Int! available: Int! }
enum Kind { A B }"""


def test_every_breaking_change_since_the_release_is_in_the_changelog() -> None:
    released = RELEASED_SCHEMA.read_text()
    breaking, _ = schema_changes(released, (ROOT / "schema.graphql").read_text())
    events = event_changes(load_events(RELEASED_EVENTS), load_events(CURRENT_EVENTS))
    changelog = (ROOT / "CHANGELOG.md").read_text()
    missing = unacknowledged(breaking + events, changelog, released_major(released))
    assert missing == [], (
        "list these coordinates in CHANGELOG.md under a new major version heading: "
        + "; ".join(c.description for c in missing)
    )


def test_a_breaking_change_needs_a_new_major_heading_naming_it() -> None:
    current = """type Query { stock(sku: String!): Stock }
    type Stock { onHand: Int available: Int! }
    enum Kind { A B C }"""
    breaking, dangerous = schema_changes(RELEASED, current)
    assert sorted(c.coordinate for c in breaking) == ["Query.old", "Stock.onHand"]
    assert [c.coordinate for c in dangerous] == ["Kind.C"]  # a new enum value: dangerous only
    major = released_major(RELEASED)
    assert major == 1
    minor_only = "## 1.5.0\n- `Stock.onHand` nullable, `Query.old` removed\n"
    assert len(unacknowledged(breaking, minor_only, major)) == 2
    partly = "## 2.0.0\n- `Stock.onHand` is nullable\n"
    assert [c.coordinate for c in unacknowledged(breaking, partly, major)] == ["Query.old"]
    both = partly + "- `Query.old` removed\n"
    assert unacknowledged(breaking, both, major) == []


def test_event_payload_changes_that_break_consumers() -> None:
    old = {
        "ucg.x.v1": {
            "properties": {
                "data": {
                    "type": "object",
                    "required": ["sku"],
                    "properties": {
                        "sku": {"type": "string"},
                        "units": {"type": "integer"},
                        "state": {"type": "string", "enum": ["A", "B"]},
                        "note": {"type": "string"},
                    },
                }
            }
        },
        "ucg.gone.v1": {},
    }
    new_data = {
        "type": "object",
        "required": ["sku", "units"],
        "properties": {
            "sku": {"type": "integer"},
            "units": {"type": "integer"},
            "state": {"type": "string", "enum": ["A"]},
            "extra": {"type": "string"},
        },
    }
    changes = event_changes(old, {"ucg.x.v1": {"properties": {"data": new_data}}})
    assert sorted(c.coordinate for c in changes) == [
        "ucg.gone.v1",
        "ucg.x.v1.note",
        "ucg.x.v1.sku",
        "ucg.x.v1.state",
        "ucg.x.v1.units",
    ]
    assert event_changes(old, old) == []
