"""Searching text: SQL LIKE with what the user typed taken literally, and Hindi folded to one spelling."""
import re
import unicodedata

LIKE_ESCAPE = "\\"


def contains(column, text):
    """`column LIKE '%text%'` where `%`, `_` and the escape character in `text` match only themselves
    (SQLite has no default escape character, so it is named)."""
    escaped = text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2).replace("%", LIKE_ESCAPE + "%").replace("_", LIKE_ESCAPE + "_")
    return column.like(f"%{escaped}%", escape=LIKE_ESCAPE)


# Hindi spelt two ways means one word: a nasal half-consonant before a consonant is written as an
# anusvara (हिन्दी = हिंदी), a chandrabindu as an anusvara (साँप = सांप), and a nukta is dropped
# (ज़िला = जिला, typed precomposed or as a separate mark).
_NUKTA = "\u093c"
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\ufeff"))
_NASAL_HALF = re.compile("[\u0919\u091e\u0923\u0928\u092e]\u094d(?=[\u0915-\u0939])")


def fold_hindi(text: str) -> str:
    """`text` as search compares it: NFKC, case-folded, zero-width characters and nuktas removed,
    chandrabindu and nasal half-consonants before a consonant written as anusvara."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_ZERO_WIDTH)).replace(_NUKTA, "")
    folded = unicodedata.normalize("NFC", decomposed).casefold().replace("\u0901", "\u0902")
    return _NASAL_HALF.sub("\u0902", folded)
