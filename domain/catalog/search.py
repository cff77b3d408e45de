"""Turning a shopper's search box text into a safe Postgres tsquery, forgiving typos.

The words are lower-cased and stripped of accents (the catalog's search vector is built from
unaccented text too, migrations/0016), so "Café" finds "cafe". A word that is not the start
of any catalog word may be a typo: the datasource proposes the closest catalog word (edit
distance, then trigram similarity, then how many products have it) and the query accepts
either, so "jacekt" finds jackets while an exact prefix still ranks first.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence

_WORD = re.compile(r"\w+", re.UNICODE)
MAX_TERMS = 8


def search_words(text: str) -> list[str]:
    """The searchable words of `text`: lower case, no accents, word characters only."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    words = [w.lower().replace("_", "") for w in _WORD.findall(plain)][:MAX_TERMS]
    return [w for w in words if w]


def prefix_tsquery(text: str) -> str | None:
    """`"lin shi"` -> `"lin:* & shi:*"`: every word must match, as a prefix.

    Only word characters survive, so the result is always a valid tsquery
    whatever the input; None when nothing searchable is left.
    """
    return corrected_tsquery(search_words(text), {})


def corrected_tsquery(words: Sequence[str], corrections: Mapping[str, str | None]) -> str | None:
    """Every word must match as a prefix, or as its correction when one was found:
    `["jacekt", "rai"]`, `{"jacekt": "jacket"}` -> `"(jacekt:* | jacket) & rai:*"`."""
    if not words:
        return None
    terms = []
    for word in words:
        correction = corrections.get(word)
        terms.append(f"({word}:* | {correction})" if correction else f"{word}:*")
    return " & ".join(terms)


def suggestion(words: Sequence[str], completion: str) -> str:
    """The search-box suggestion completing the last word: `["rain", "jac"]`, `"jacket"` ->
    `"rain jacket"`."""
    return " ".join([*words[:-1], completion])
