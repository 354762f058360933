"""The pages' words in Hindi and English: one catalogue per language (locale/<lang>.yml), same keys."""
import os
from functools import lru_cache

import yaml

from .domain import LANGUAGES

LOCALE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "locale")


@lru_cache(maxsize=None)
def catalogue(language):
    with open(os.path.join(LOCALE_DIR, f"{language}.yml"), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


class Translator:
    """`t("inbox.title")`, `t("flash.diarised", number="12/2026/COLL-JHS")`: the words of a key in
    the page's language, else in English, else the key itself (a missing word shows, it does not break)."""

    def __init__(self, language):
        self.language = language if language in LANGUAGES else "hi"
        self._words = catalogue(self.language)
        self._fallback = catalogue("en")

    def __call__(self, key, **params):
        text = self._words.get(key) or self._fallback.get(key) or key
        return text.format(**params) if params else text

    def has(self, key):
        return key in self._words
