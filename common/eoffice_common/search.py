"""Searching text: Hindi spelling variants folded together, and SQL LIKE taking what the user typed literally."""
import re
import unicodedata

LIKE_ESCAPE = "\\"

NUKTA = "\u093c"
CHANDRABINDU = "\u0901"
ANUSVARA = "\u0902"
INVISIBLE = re.compile("[\u200b\u200c\u200d\ufeff]")
# ङ ञ ण न म with a virama before a consonant: the half nasal that Hindi also writes as an anusvara
# (हैंडपम्प / हैंडपंप, हिन्दी / हिंदी).
NASAL_HALF_CONSONANT = re.compile("[\u0919\u091e\u0923\u0928\u092e]\u094d(?=[\u0915-\u0939])")


def fold_hindi(text: str) -> str:
    """Hindi text with its accepted spelling variants made one: nukta dropped (बड़ा = बडा, ज़िला = जिला),
    chandrabindu as anusvara (गाँव = गांव), a half nasal consonant before a consonant as anusvara
    (पम्प = पंप). Fold both what is stored and what is typed; the result is for matching, never for display."""
    decomposed = unicodedata.normalize("NFD", INVISIBLE.sub("", text or ""))
    folded = decomposed.replace(NUKTA, "").replace(CHANDRABINDU, ANUSVARA)
    return NASAL_HALF_CONSONANT.sub(ANUSVARA, unicodedata.normalize("NFC", folded))


def search_form(text: str) -> str:
    """What a searchable text is stored as and a query is compared in: Unicode compatibility forms,
    case, spacing and Hindi spelling variants folded (see fold_hindi)."""
    return " ".join(fold_hindi(unicodedata.normalize("NFKC", text or "")).casefold().split())


def search_words(query: str) -> list[str]:
    """The words of a query in search form, each to be matched on its own."""
    return search_form(query).split()


def contains(column, text):
    """`column LIKE '%text%'` where `%`, `_` and the escape character in `text` match only themselves
    (SQLite has no default escape character, so it is named)."""
    escaped = text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2).replace("%", LIKE_ESCAPE + "%").replace("_", LIKE_ESCAPE + "_")
    return column.like(f"%{escaped}%", escape=LIKE_ESCAPE)
