"""ARCHITECTURE.md's checkable claims: the layer rules (who may import whom) hold in the code, and
every path and module the file names exists. Imports under ``if TYPE_CHECKING`` are types only
and do not count."""
from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARCH = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
LAYERS = ("api", "numbers", "data", "delivery")

# what each place may not import (ARCHITECTURE.md, "Who may import whom"), written by hand
NEVER = {
    "shared": {"pancake.api", "pancake.numbers", "pancake.data", "pancake.delivery", "ui", "app_pages", "streamlit"},
    "pancake.api": {"pancake.numbers", "pancake.data", "pancake.delivery", "ui", "app_pages", "streamlit"},
    "pancake.numbers": {"pancake.api", "pancake.data", "pancake.delivery", "ui", "app_pages", "streamlit"},
    "pancake.data": {"pancake.delivery", "ui", "app_pages", "streamlit"},
    "pancake.delivery": {"ui", "app_pages", "streamlit"},
    "ui": {"app_pages"},
    "app_pages": {"pancake.api"},
}


def _place(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    if parts[:2] == ("pancake", "__main__"):
        return "app_pages"   # the CLI's entry, like app.py the dashboard's
    if parts[0] == "pancake":
        return f"pancake.{parts[1]}" if len(parts) > 2 and parts[1] in LAYERS else "shared"
    return parts[0]


def _type_checking_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for inner in node.body:
                lines.update(range(inner.lineno, (inner.end_lineno or inner.lineno) + 1))
    return lines


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = _type_checking_lines(tree)
    out = []
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in typing_only:
            continue
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            if node.module == "pancake":   # from pancake import api, config, ...
                out += [(node.lineno, f"pancake.{a.name}") for a in node.names]
            else:
                out.append((node.lineno, node.module))
    return out


def _forbidden(module: str, never: set[str]) -> bool:
    return any(module == n or module.startswith(n + ".") for n in never)


def _files() -> list[Path]:
    files = [p for d in ("pancake", "ui", "app_pages") for p in sorted((ROOT / d).rglob("*.py"))]
    return files + [ROOT / "app.py", ROOT / "serve.py"]


def test_the_checker_sees_a_forbidden_import():
    assert _forbidden("pancake.data.store.watch", NEVER["pancake.numbers"])
    assert not _forbidden("pancake.numbers.metrics", NEVER["pancake.data"])
    assert _place(ROOT / "pancake" / "numbers" / "views" / "briefing.py") == "pancake.numbers"
    assert _place(ROOT / "pancake" / "fmt.py") == "shared"
    assert _place(ROOT / "app_pages" / "staff.py") == "app_pages"


def test_every_layer_imports_only_what_architecture_allows():
    broken = []
    for path in _files():
        place = _place(path)
        if place in ("app", "serve"):
            place = "app_pages"
        for line, module in _imports(path):
            if _forbidden(module, NEVER.get(place, set())):
                broken.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    assert broken == []


def test_the_folder_tree_shows_the_layers():
    for layer in LAYERS:
        assert (ROOT / "pancake" / layer / "__init__.py").is_file()
        assert f"pancake/{layer}/" in ARCH


PATH = re.compile(r"`((?:pancake|ui|app_pages|tests|bench|docs)/[\w./<>-]*|app\.py|serve\.py)`")
MODULE = re.compile(r"`((?:pancake|ui)\.[\w.]+)`")


@pytest.mark.parametrize("named", sorted(set(PATH.findall(ARCH))))
def test_every_path_architecture_names_exists(named):
    if "<" in named:   # a recipe's placeholder (views/<page>.py): its folder must exist
        named = named.split("<")[0]
    assert (ROOT / named).exists(), named


@pytest.mark.parametrize("named", sorted(set(MODULE.findall(ARCH))))
def test_every_module_or_name_architecture_names_exists(named):
    parts = named.split(".")
    for cut in range(len(parts), 0, -1):   # the longest importable prefix, then attributes
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return
    raise AssertionError(named)
