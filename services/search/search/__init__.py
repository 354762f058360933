"""search: the full text of every document, within what the caller may open."""
