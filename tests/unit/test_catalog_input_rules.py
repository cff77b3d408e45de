"""Catalog input validation: titles, SKUs, tags and media URLs, each refusal typed and
naming the field it was given."""

from __future__ import annotations

import pytest

from domain.catalog.rules import MAX_TAGS, clean_tags, validate_sku, validate_title, validate_urls
from domain.errors import DomainError, ErrorCode

FIELD = ["input", "x"]


def refusal_field(call: object) -> list[str] | None:
    with pytest.raises(DomainError) as caught:
        call()  # type: ignore[operator]
    assert caught.value.code is ErrorCode.INVALID
    return caught.value.field


def test_titles_are_trimmed_and_bounded() -> None:
    assert validate_title("  Linen shirt ", FIELD) == "Linen shirt"
    assert validate_title("x" * 255, FIELD) == "x" * 255
    for bad in ["", "   ", "x" * 256]:
        assert refusal_field(lambda bad=bad: validate_title(bad, FIELD)) == FIELD


def test_skus_start_with_a_letter_or_digit_and_use_a_few_marks() -> None:
    for good in ["A", "SHIRT-01/L", "x.y_z", "9" * 100]:
        validate_sku(good, FIELD)
    for bad in ["", "-A", "A B", "A#1", "9" * 101]:
        assert refusal_field(lambda bad=bad: validate_sku(bad, FIELD)) == FIELD


def test_tags_are_normalized_deduplicated_and_bounded() -> None:
    assert clean_tags([" Summer", "summer", "", "  ", "SALE"], FIELD) == ["summer", "sale"]
    assert len(clean_tags([f"t{i}" for i in range(MAX_TAGS)], FIELD)) == MAX_TAGS
    too_many = [f"t{i}" for i in range(MAX_TAGS + 1)]
    assert refusal_field(lambda: clean_tags(too_many, FIELD)) == FIELD
    assert refusal_field(lambda: clean_tags(["x" * 65], FIELD)) == FIELD


def test_media_urls_must_be_http_and_the_bad_one_is_named_by_index() -> None:
    validate_urls(["https://cdn.example/a.jpg", "http://cdn.example/b.jpg"], FIELD)
    bad = ["https://ok.example/a.jpg", "ftp://cdn.example/b.jpg"]
    assert refusal_field(lambda: validate_urls(bad, FIELD)) == [*FIELD, "1"]
    long = ["https://" + "a" * 2000]
    assert refusal_field(lambda: validate_urls(long, FIELD)) == [*FIELD, "0"]
