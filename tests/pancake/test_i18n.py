"""Translations live in one table (pancake/strings.toml): every key has Vietnamese and English,
and every key the code asks for exists."""
from __future__ import annotations

import re
from pathlib import Path

from pancake import i18n

ROOT = Path(__file__).resolve().parents[2]
CODE = [p for d in ("pancake", "ui", "app_pages") for p in (ROOT / d).rglob("*.py")] + [ROOT / "app.py"]
# i18n.t("key", ...), state.t("key"), components.t("key"), tr("key"), t("key") with a literal key
LITERAL = re.compile(r"""(?<![\w.])(?:i18n\.t|state\.t|components\.t|tr|t)\(\s*["']([a-z_]+\.[\w.]+)["']""")
# f-string keys: i18n.t(f"nav.{kind}") -> the prefix "nav." must have keys
DYNAMIC = re.compile(r"""(?<![\w.])(?:i18n\.t|state\.t|components\.t|tr|t)\(\s*f["']([a-z_]+\.)[^"']*\{""")


def test_every_key_has_both_languages_and_no_empty_text():
    for key, entry in i18n.CATALOGUE.items():
        assert set(entry) == set(i18n.LANGS), key
        assert all(entry[lang].strip() for lang in i18n.LANGS), key


def test_placeholders_match_between_languages():
    field = re.compile(r"\{(\w+)[^}]*\}")
    for key, entry in i18n.CATALOGUE.items():
        assert set(field.findall(entry["vi"])) == set(field.findall(entry["en"])), key


def test_every_key_used_in_the_code_exists():
    used, prefixes = set(), set()
    for path in CODE:
        text = path.read_text(encoding="utf-8")
        used.update(LITERAL.findall(text))
        prefixes.update(DYNAMIC.findall(text))
    assert used, "the scan found no key at all: the pattern is broken"
    missing = sorted(k for k in used if not i18n.has(k))
    assert not missing, missing
    for prefix in prefixes:
        assert any(k.startswith(prefix) for k in i18n.CATALOGUE), prefix


def test_no_module_registers_strings_of_its_own():
    for path in CODE:
        text = path.read_text(encoding="utf-8")
        assert "i18n.add(" not in text and "_CATALOGUE" not in text, path


def test_lookup_fills_placeholders_and_falls_back():
    assert i18n.t("common.n_pages", "en", n=3) == "3 pages"
    assert i18n.t("common.n_pages", "xx", n=3) == i18n.t("common.n_pages", "vi", n=3)
    assert i18n.t("no.such.key", "en") == "no.such.key"
