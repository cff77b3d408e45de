"""StringGuard's literal check is decided once per query text."""

from __future__ import annotations

from graphql import parse

from resolvers import string_guard


def test_a_literal_verdict_is_kept_per_query_text() -> None:
    bad = '{ products(query: "a\\u0000b") { id } }'
    good = '{ products(query: "boots") { id } }'
    assert string_guard._literal_problem(parse(bad), bad) == (
        "Strings must not contain the NUL character (\\u0000)."
    )
    assert string_guard._literal_problem(parse(good), good) is None
    # The second sighting of a text is answered from the cache, not by walking again
    # (a document that would say otherwise is not even looked at).
    assert string_guard._literal_problem(parse(good), bad) is not None
    assert string_guard._literal_problem(parse(bad), good) is None
    # Without a text (a pre-parsed document) it is walked every time.
    assert string_guard._literal_problem(parse(bad), None) is not None


def test_the_cache_is_bounded() -> None:
    string_guard._LITERAL_PROBLEMS.clear()
    for n in range(string_guard.MAX_CACHED + 5):
        text = f'{{ products(query: "q{n}") {{ id }} }}'
        string_guard._literal_problem(parse(text), text)
    assert len(string_guard._LITERAL_PROBLEMS) == string_guard.MAX_CACHED
