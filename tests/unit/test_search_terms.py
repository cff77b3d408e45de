"""Search text to tsquery with spelling corrections (domain/catalog/search.py), without I/O."""

from domain.catalog.search import corrected_tsquery, search_words, suggestion


def test_words_are_lower_case_without_accents_or_punctuation() -> None:
    assert search_words("Café CRÈME, s'il_vous") == ["cafe", "creme", "s", "ilvous"]
    assert search_words("!!!") == []


def test_a_corrected_word_matches_either_spelling() -> None:
    words = ["jacekt", "rai"]
    assert corrected_tsquery(words, {"jacekt": "jacket"}) == "(jacekt:* | jacket) & rai:*"
    assert corrected_tsquery(words, {"jacekt": None}) == "jacekt:* & rai:*"
    assert corrected_tsquery([], {}) is None


def test_a_suggestion_completes_the_last_word() -> None:
    assert suggestion(["rain", "jac"], "jacket") == "rain jacket"
    assert suggestion(["jac"], "jacket") == "jacket"
