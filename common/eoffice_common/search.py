"""Searching text with SQL LIKE, what the user typed taken literally."""

LIKE_ESCAPE = "\\"


def contains(column, text):
    """`column LIKE '%text%'` where `%`, `_` and the escape character in `text` match only themselves
    (SQLite has no default escape character, so it is named)."""
    escaped = text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2).replace("%", LIKE_ESCAPE + "%").replace("_", LIKE_ESCAPE + "_")
    return column.like(f"%{escaped}%", escape=LIKE_ESCAPE)
