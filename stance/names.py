"""Text folding and name keys: the string functions that every name comparison goes through.

:func:`fold` casefolds a text and strips its diacritics one character for one character,
so offsets survive; :func:`tokenize` splits a text into word and punctuation tokens of
its folded key, with offsets into the original; :func:`name_key` turns a surface form
into the string that names are compared by, so that "Kalın", "KALIN" and "Kalin" are
one name. :func:`name_words` and :func:`is_capitalized` are the small word helpers that
the variant rules, the matcher and discovery share.

Example:
    >>> name_key("Haftar’s")
    "haftar ' s"
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import NamedTuple

__all__ = ["Token", "fold", "is_capitalized", "name_key", "name_words", "tokenize"]

# Letters that carry no decomposable diacritic but that writers replace by a plain
# letter all the same (Kalın -> Kalin, Łódź -> Lodz). Multi-letter replacements only
# take effect in the matching key, never in fold(), which keeps one char per char.
_LETTERS = {
    "ı": "i",
    "ø": "o",
    "ł": "l",
    "đ": "d",
    "ħ": "h",
    "ŧ": "t",
    "ð": "d",
    "æ": "ae",
    "œ": "oe",
    "þ": "th",
    "ß": "ss",
    # Apostrophes and hyphens come in many shapes; Haftar’s is Haftar's.
    "’": "'",
    "‘": "'",
    "ʼ": "'",
    "`": "'",
    "´": "'",
    "′": "'",
    "‐": "-",
    "‑": "-",
}


@functools.lru_cache(maxsize=65536)
def _key_char(char: str) -> str:
    """The matching key of one character: folded, possibly empty or several characters.

    Combining marks and invisible format characters (soft hyphen, zero-width joiner)
    have an empty key, so "Kalı\u0307n", "Haf\u00adtar" and "Haftar" all compare equal.
    """
    if unicodedata.category(char) in ("Mn", "Me", "Mc", "Cf"):
        return ""
    out = []
    for part in unicodedata.normalize("NFKD", char):
        if unicodedata.combining(part) or unicodedata.category(part) in ("Mn", "Me", "Cf"):
            continue
        for low in part.casefold():
            out.append(_LETTERS.get(low, low))
    return "".join(out)


@functools.lru_cache(maxsize=65536)
def _fold_char(char: str) -> str:
    key = _key_char(char)
    if len(key) == 1:
        return key
    # An expansion (ß -> ss, ﬁ -> fi) or a lone mark: keep one character so offsets hold.
    lower = char.lower()
    return lower if len(lower) == 1 else char


def fold(text: str) -> str:
    """Casefold ``text`` and strip its diacritics, one character for one character.

    The result has the same length as ``text``, so an offset found in the folded text is
    an offset into the original. A character whose fold would take several characters
    (``ß``, the ligature ``ﬁ``) is only lowercased, and a lone combining mark is kept
    as it is.

    Example:
        >>> fold("İbrahim Kalın, ÇAVUŞOĞLU")
        'ibrahim kalin, cavusoglu'
    """
    return "".join(_fold_char(char) for char in text)


_TOKEN = re.compile(r"\w+|[^\w\s]")


class Token(NamedTuple):
    """A word or punctuation token: its folded ``key`` and its offsets into the original text.

    A named tuple, not a dataclass: an article has thousands, and a tuple is cheaper to make.
    """

    key: str  # folded
    start: int  # offsets into the original text
    end: int


def tokenize(text: str) -> list[Token]:
    """Word and punctuation tokens of the folded text, with offsets into ``text``.

    Unlike :func:`fold`, the key of a token takes the full fold of each character (``ß``
    is ``ss``), and marks and invisible characters vanish from it; ``text[start:end]`` is
    the token as written, marks included.

    Example:
        >>> [(t.key, t.start, t.end) for t in tokenize("Haftar’s")]
        [('haftar', 0, 6), ("'", 6, 7), ('s', 7, 8)]
    """
    table = {ord(char): _key_char(char) for char in set(text)}
    if all(len(key) == 1 for key in table.values()):
        # Most news: one key character for each character, so offsets are the key's own.
        key_text = text.translate(table)
        return [Token(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(key_text)]
    chars: list[str] = []
    origin: list[int] = []
    for i, char in enumerate(text):
        key = _key_char(char)
        chars.append(key)
        origin.extend([i] * len(key))
    key_text = "".join(chars)
    n = len(text)
    tokens = []
    for match in _TOKEN.finditer(key_text):
        start = origin[match.start()]
        end = origin[match.end() - 1] + 1
        # The marks and invisible characters after the last letter belong to it.
        while end < n and not _key_char(text[end]):
            end += 1
        tokens.append(Token(match.group(), start, end))
    return tokens


def name_key(form: str) -> str:
    """A surface form as a comparable string (folded tokens joined by spaces).

    Two forms are the same name when their keys are equal: case, diacritics, the shapes
    of apostrophes and hyphens, and spacing around punctuation do not count.

    Example:
        >>> name_key("İbrahim KALIN") == name_key("Ibrahim Kalin")
        True
    """
    return " ".join(token.key for token in tokenize(form))


def name_words(name: str) -> list[str]:
    """The words of ``name`` as written, split at spaces and commas.

    Example:
        >>> name_words("Haftar, Khalifa")
        ['Haftar', 'Khalifa']
    """
    return name.replace(",", " ").split()


def is_capitalized(word: str) -> bool:
    """Whether ``word`` starts with a capital letter."""
    return bool(word) and word[0].isupper()
