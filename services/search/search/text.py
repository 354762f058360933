"""Words as the index and the query see them, the query language, and snippets with the words marked.

Text is split into words here, not by the database: PostgreSQL's parser splits Devanagari at its
vowel signs under some locales, and SQLite's unicode61 always does. Each word is folded
(`eoffice_common.search.search_form`: NFKC, case and Hindi spelling) and the database gets the folded
words as they are (a tsvector literal, or FTS5's `ascii` tokenizer, which keeps every non-ASCII
character inside a word)."""
from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import takewhile

from eoffice_common.search import search_form

# Letters, digits and every Devanagari sign (vowel signs, virama, nukta: marks that \w leaves out),
# but not the danda and double danda, which end sentences; zero-width joiners stay inside a word.
WORD = re.compile(r"(?:[^\W_]|[\u0900-\u0963\u0966-\u097f\u200c\u200d])+")
# PostgreSQL keeps a lexeme of at most 2047 bytes and positions up to 16383.
MAX_WORD_BYTES = 2047
MAX_POSITION = 16383
QUOTED = re.compile(r'"([^"]*)"?')
# Words recur (a page of results folds its bodies' words again for the snippets): each folded once.
folded_form = lru_cache(maxsize=200_000)(search_form)


@dataclass(frozen=True)
class Word:
    folded: str
    start: int
    end: int


def words(text: str) -> list[Word]:
    """The words of `text`, folded, with where each stands in `text`."""
    return list(_each_word(text))


def _each_word(text: str) -> Iterator[Word]:
    for match in WORD.finditer(text):
        folded = folded_form(match.group())
        if folded and len(folded.encode()) <= MAX_WORD_BYTES:
            yield Word(folded, match.start(), match.end())


def folded_words(text: str) -> list[str]:
    return [word.folded for word in words(text)]


def tsvector_literal(text: str) -> str:
    """The folded words of `text` with their positions, as a PostgreSQL tsvector literal."""
    positions: dict[str, list[int]] = {}
    for position, word in enumerate(folded_words(text), start=1):
        positions.setdefault(word, []).append(min(position, MAX_POSITION))
    return " ".join(f"{_quoted(word)}:{','.join(map(str, sorted(set(at))[:256]))}" for word, at in positions.items())


def _quoted(word: str) -> str:
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


@dataclass(frozen=True)
class Query:
    """What was asked: words that must all be there, and phrases (words next to each other, in order)."""

    words: tuple[str, ...] = ()
    phrases: tuple[tuple[str, ...], ...] = field(default_factory=tuple)

    @property
    def empty(self) -> bool:
        return not self.words and not self.phrases

    @property
    def all_words(self) -> set[str]:
        return set(self.words) | {word for phrase in self.phrases for word in phrase}

    def tsquery(self) -> str:
        """A PostgreSQL tsquery literal: every word and phrase must match."""
        parts = [_quoted(word) for word in self.words]
        parts += ["(" + " <-> ".join(map(_quoted, phrase)) + ")" for phrase in self.phrases]
        return " & ".join(parts)

    def fts5(self) -> str:
        """An SQLite FTS5 query: every word and phrase must match."""
        parts = ['"' + word + '"' for word in self.words]
        parts += ['"' + " ".join(phrase) + '"' for phrase in self.phrases]
        return " AND ".join(parts)


def parse_query(typed: str) -> Query:
    """Words and "quoted phrases"; a phrase of one word is a word, an unclosed quote runs to the end."""
    phrases, plain = [], []
    last = 0
    for match in QUOTED.finditer(typed):
        plain.append(typed[last:match.start()])
        phrase = tuple(folded_words(match.group(1)))
        if len(phrase) > 1:
            phrases.append(phrase)
        else:
            plain.append(" ".join(phrase))
        last = match.end()
    plain.append(typed[last:])
    loose = tuple(dict.fromkeys(word for part in plain for word in folded_words(part)))
    return Query(words=loose, phrases=tuple(dict.fromkeys(phrases)))


SNIPPET_CHARS = 240


def snippet(text: str, query: Query, length: int = SNIPPET_CHARS) -> tuple[str, int | None]:
    """HTML of about `length` characters of `text` around its first matching word, every matching
    word in <mark>, the rest escaped; and the character offset of that first match (None if none)."""
    wanted = query.all_words
    # Read only as far as the snippet goes: an OCR'd document runs to many pages.
    matching = (word for word in _each_word(text) if word.folded in wanted)
    first_found = next(matching, None)
    if first_found is None:
        return html.escape(text[:length].strip()), None
    first = first_found.start
    start = max(0, first - length // 3)
    if start:
        space = text.rfind(" ", 0, start)
        start = space + 1 if space >= 0 and start - space < 20 else start
    end = min(len(text), start + length)
    found = [first_found, *takewhile(lambda word: word.start < end, matching)]
    pieces, at = [], start
    for word in found:
        if word.start < start or word.end > end:
            continue
        pieces += [html.escape(text[at:word.start]), "<mark>", html.escape(text[word.start:word.end]), "</mark>"]
        at = word.end
    pieces.append(html.escape(text[at:end]))
    body = "".join(pieces).replace("\n", " ").strip()
    return ("… " if start else "") + body + (" …" if end < len(text) else ""), first


def page_at(page_starts: list[int], offset: int | None) -> int:
    """The page (from 1) holding the character at `offset`, given where each page's text starts."""
    if offset is None or not page_starts:
        return 1
    page = 1
    for number, start in enumerate(page_starts, start=1):
        if start <= offset:
            page = number
    return page
