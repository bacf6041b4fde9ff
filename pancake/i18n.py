"""UI strings in Vietnamese (default) and English.

Every string lives in one plain table, ``pancake/strings.toml``, loaded once when this
module is imported. ``t(key, lang, **kw)`` looks a key up and fills its placeholders. A
missing key shows the key itself (visible in review, never an exception on screen); a test
proves every key has both languages and every key the code uses exists. Metric names and
tooltips live in ``pancake.numbers.metrics``.
"""
from __future__ import annotations

import tomllib
from pathlib import Path

LANGS = ("vi", "en")
DEFAULT_LANG = "vi"

STRINGS_FILE = Path(__file__).with_name("strings.toml")


def _load(path: Path = STRINGS_FILE) -> dict[str, dict[str, str]]:
    with path.open("rb") as fh:
        table = tomllib.load(fh)
    return {str(k): {lang: str(text) for lang, text in v.items()} for k, v in table.items()}


CATALOGUE: dict[str, dict[str, str]] = _load()


def norm_lang(lang: str | None) -> str:
    return lang if lang in LANGS else DEFAULT_LANG


def t(key: str, lang: str | None = None, **kw: object) -> str:
    entry = CATALOGUE.get(key)
    if entry is None:
        return key
    text = entry.get(norm_lang(lang)) or entry.get(DEFAULT_LANG) or key
    return text.format(**kw) if kw else text


def has(key: str) -> bool:
    return key in CATALOGUE
