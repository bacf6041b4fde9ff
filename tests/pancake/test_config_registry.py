"""One home for configuration (issue 18): every PANCAKE_* variable is in ``config.VARIABLES``,
read only by ``pancake.config`` (``config.read``, at call time), and listed the same way by the
README and the Settings page. No Streamlit under pancake/."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from pancake import config, i18n
from pancake.numbers.views import settings as vs

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = [ROOT / "pancake", ROOT / "ui", ROOT / "app_pages", ROOT / "app.py", ROOT / "serve.py"]

# written by hand: the product's variables, in the README's order
EXPECTED = [
    "PANCAKE_ACCESS_TOKEN", "PANCAKE_PAGE_TOKENS", "PANCAKE_BASE_URL", "PANCAKE_TIMEZONE", "PANCAKE_DEMO",
    "PANCAKE_CACHE_DIR", "PANCAKE_STORE_URL", "PANCAKE_DASHBOARD_PASSWORD", "PANCAKE_ACCESS_FILE",
    "PANCAKE_SESSION_HOURS", "PANCAKE_SESSION_KEY", "PANCAKE_ALLOW_WRITES", "PANCAKE_HOURS_FILE",
    "PANCAKE_NOTIFY", "PANCAKE_PUBLIC_URL", "PANCAKE_CHROMIUM", "PANCAKE_MEMORY_CACHE_MB",
    "PANCAKE_MEMORY_CACHE_ENTRIES", "PANCAKE_MAX_RANGE_DAYS",
]


def _python_files() -> list[Path]:
    out: list[Path] = []
    for where in PRODUCT:
        out += sorted(where.rglob("*.py")) if where.is_dir() else [where]
    return out


def test_the_registry_holds_every_variable_once():
    assert [v.name for v in config.VARIABLES] == EXPECTED
    assert len(config.REGISTRY) == len(EXPECTED)
    env_only = [v.name for v in config.VARIABLES if not v.secrets]
    assert env_only == ["PANCAKE_CHROMIUM", "PANCAKE_MEMORY_CACHE_MB", "PANCAKE_MEMORY_CACHE_ENTRIES",
                        "PANCAKE_MAX_RANGE_DAYS"]
    assert set(config.ENV_KEYS + ("PANCAKE_CACHE_DIR", "PANCAKE_STORE_URL")) <= set(config.REGISTRY)


def test_every_pancake_name_in_the_product_is_registered():
    """A PANCAKE_* word anywhere in the product's code is a registered variable (a new one must
    be added to the registry, hence to the README and the Settings page)."""
    seen: set[str] = set()
    for path in _python_files():
        seen |= set(re.findall(r"\bPANCAKE_[A-Z_]*[A-Z]\b", path.read_text(encoding="utf-8")))
    seen.discard("PANCAKE_")
    assert sorted(seen - set(EXPECTED)) == []


def _string_constants(trees: dict[Path, ast.Module]) -> dict[str, str]:
    """Module-level ``NAME = "PANCAKE_..."`` of every module (by name): what an ``env.get(NAME)``
    would read."""
    out: dict[str, str] = {}
    for tree in trees.values():
        for node in tree.body:
            if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
                    and isinstance(node.value.value, str) and node.value.value.startswith("PANCAKE_")):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        out[target.id] = node.value.value
    return out


def _own_constants(tree: ast.Module) -> dict[str, str]:
    """Every module-level ``NAME = "..."`` of one module (a non-PANCAKE value hides another
    module's constant of the same name)."""
    return {t.id: node.value.value for node in tree.body
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
            for t in node.targets if isinstance(t, ast.Name)}


def _pancake_name(node: ast.AST, constants: dict[str, str]) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("PANCAKE_"):
        return node.value
    if isinstance(node, ast.Name):
        value = constants.get(node.id, "")
        return value if value.startswith("PANCAKE_") else None
    if isinstance(node, ast.Attribute):
        return constants.get(node.attr)
    return None


def _environment_reads(tree: ast.Module, constants: dict[str, str]) -> list[str]:
    """``os.environ.get(X)``, ``os.environ[X]``, ``os.getenv(X)``, ``X in os.environ``, and
    ``env.get(X)`` on any mapping, where X is a PANCAKE_ name (a literal or a constant)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args and isinstance(node.func, ast.Attribute) \
                and node.func.attr in ("get", "getenv", "pop", "setdefault"):
            name = _pancake_name(node.args[0], constants)
            if name:
                found.append(f"{node.lineno}: .{node.func.attr}({name})")
        elif isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) \
                and node.value.attr == "environ":
            name = _pancake_name(node.slice, constants)
            if name:
                found.append(f"{node.lineno}: environ[{name}]")
        elif isinstance(node, ast.Compare) and any(isinstance(c, ast.Attribute) and c.attr == "environ"
                                                    for c in node.comparators):
            name = _pancake_name(node.left, constants)
            if name:
                found.append(f"{node.lineno}: {name} in environ")
    return found


def test_no_module_but_config_reads_a_pancake_variable():
    trees = {p: ast.parse(p.read_text(encoding="utf-8")) for p in _python_files()}
    constants = _string_constants(trees)
    readers = {}
    for path, tree in trees.items():
        own = {**constants, **_own_constants(tree)}    # a module's own ENV before another's
        if path != ROOT / "pancake" / "config.py" and (reads := _environment_reads(tree, own)):
            readers[str(path.relative_to(ROOT))] = reads
    assert readers == {}


def test_the_ast_check_sees_each_way_of_reading():
    """The check above is not blind: each pattern it looks for is caught."""
    code = ('import os\nKEY = "PANCAKE_DEMO"\nos.environ.get("PANCAKE_DEMO")\nos.getenv(KEY)\n'
            'os.environ["PANCAKE_NOTIFY"]\nenv.get(mod.KEY)\n"PANCAKE_X" in os.environ\nos.environ.get("HOME")\n')
    tree = ast.parse(code)
    assert len(_environment_reads(tree, _string_constants({Path("x"): tree}))) == 5


def test_no_streamlit_under_pancake():
    importers = []
    for path in sorted((ROOT / "pancake").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            if any(n == "streamlit" or n.startswith("streamlit.") for n in names):
                importers.append(str(path.relative_to(ROOT)))
    assert importers == []


# --- the two lists: README and Settings page --------------------------------------------------

def _readme_rows() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    head = "| variable | meaning | default |\n| --- | --- | --- |\n"
    start = text.index(head) + len(head)
    return text[start:text.index("\n\n", start)].split("\n")


def test_the_readme_lists_exactly_the_registry():
    rows = _readme_rows()
    assert [re.match(r"\| `(PANCAKE_[A-Z_]+)` \|", r).group(1) for r in rows] == EXPECTED
    # each row is the registry's: write it as printed here when a variable changes
    assert rows == [f"| `{v.name}` | {v.meaning} | {v.default} |" for v in config.VARIABLES]


def test_the_settings_page_lists_exactly_the_registry_in_both_languages():
    for lang in ("vi", "en"):
        table = vs.env_table(lang)
        assert list(table.frame["variable"]) == EXPECTED
        assert all(m and "set.env." not in m for m in table.frame["meaning"])
    assert vs.env_table("en").frame["meaning"].iloc[EXPECTED.index("PANCAKE_DEMO")] == \
        "1 = always use demo data, even with tokens."
    assert list(vs.env_table("en").frame["example"][-3:]) == ["64", "2000", "731"]
    keys = re.findall(r'^"(set\.env\.[A-Z_]+)"', i18n.STRINGS_FILE.read_text(encoding="utf-8"), re.M)
    assert keys == [f"set.env.{name}" for name in EXPECTED]     # no orphan, none missing, the same order
    assert vs.SECRETS_EXAMPLE == (
        '# .streamlit/secrets.toml\n'
        'PANCAKE_ACCESS_TOKEN = "<user token>"\n'
        'PANCAKE_PAGE_TOKENS = "<page_id>:<page token>,<page_id>:<page token>"\n'
        'PANCAKE_BASE_URL = "https://pages.fm/api"\n'
        'PANCAKE_TIMEZONE = "Asia/Ho_Chi_Minh"\n')


# --- config.read ----------------------------------------------------------------------------

def test_read_environment_then_secrets_then_the_pancake_table():
    env = {"PANCAKE_NOTIFY": "json://a"}
    secrets = {"PANCAKE_NOTIFY": "json://b", "PANCAKE_HOURS_FILE": "/b.toml",
               "pancake": {"notify": "json://c", "hours_file": "/c.toml", "allow_writes": True}}
    assert config.read("PANCAKE_NOTIFY", env, secrets) == "json://a"
    assert config.read("PANCAKE_NOTIFY", {}, secrets) == "json://b"
    assert config.read("PANCAKE_NOTIFY", {}, {"pancake": {"notify": ["json://c", "json://d"]}}) == \
        ["json://c", "json://d"]
    assert config.read("PANCAKE_HOURS_FILE", {"PANCAKE_HOURS_FILE": ""}, secrets) == "/b.toml"
    assert config.read("PANCAKE_HOURS_FILE", {}, {"pancake": {"hours_file": "/c.toml"}}) == "/c.toml"
    assert config.read("PANCAKE_ALLOW_WRITES", {}, secrets) is True
    assert config.read("PANCAKE_ACCESS_FILE", {}, {}) is None
    assert config.read("PANCAKE_ACCESS_FILE", {}, None) is None


def test_blank_is_unset_and_environment_only_variables_ignore_secrets():
    assert config.read("PANCAKE_PUBLIC_URL", {"PANCAKE_PUBLIC_URL": "   "}, {"PANCAKE_PUBLIC_URL": "https://x.vn"}) \
        == "https://x.vn"
    assert config.read("PANCAKE_DEMO", {"PANCAKE_DEMO": "\t"}, {}) is None
    assert config.read("PANCAKE_CHROMIUM", {}, {"PANCAKE_CHROMIUM": "/opt/chrome"}) is None
    assert config.read("PANCAKE_MAX_RANGE_DAYS", {}, {"pancake": {"max_range_days": "5"}}) is None
    assert config.read("PANCAKE_MAX_RANGE_DAYS", {"PANCAKE_MAX_RANGE_DAYS": "5"}, {}) == "5"
    with pytest.raises(KeyError):
        config.read("PANCAKE_NOT_A_VARIABLE", {}, {})


def test_read_looks_at_the_environment_when_called(monkeypatch):
    monkeypatch.delenv("PANCAKE_SESSION_KEY", raising=False)
    assert config.read("PANCAKE_SESSION_KEY") is None
    monkeypatch.setenv("PANCAKE_SESSION_KEY", "k" * 40)
    assert config.read("PANCAKE_SESSION_KEY") == "k" * 40


def test_the_modules_take_their_settings_from_config_at_call_time(monkeypatch, tmp_path):
    from pancake.data import conversations as dc
    from pancake.delivery import access, notify, session
    from pancake.numbers import hours
    monkeypatch.setenv("PANCAKE_ALLOW_WRITES", "yes")
    assert dc.writes_allowed() is True
    monkeypatch.setenv("PANCAKE_ALLOW_WRITES", "0")
    assert dc.writes_allowed() is False
    assert dc.writes_allowed(env={}, secrets={"pancake": {"allow_writes": "1"}}) is True
    monkeypatch.setenv("PANCAKE_DASHBOARD_PASSWORD", "hunter2-hunter2")
    assert access.load_access().shared_password == "hunter2-hunter2"
    assert access.load_access(env={}, secrets={"pancake": {"dashboard_password": "s3cret-pw"}}).shared_password \
        == "s3cret-pw"
    monkeypatch.setenv("PANCAKE_NOTIFY", "json://localhost:9/a, json://localhost:9/b")
    assert [t.url for t in notify.targets()] == ["json://localhost:9/a", "json://localhost:9/b"]
    assert [t.url for t in notify.targets(env={}, secrets={"PANCAKE_NOTIFY": ["json://localhost:9/c"]})] == \
        ["json://localhost:9/c"]
    assert notify.targets(env={}, secrets={}) == []
    monkeypatch.setenv("PANCAKE_SESSION_KEY", "a-key-long-enough-to-sign-with-0123456789")
    assert session.signing_key(tmp_path) == session.signing_key(tmp_path / "elsewhere")
    assert not (tmp_path / "session.key").exists()
    monkeypatch.delenv("PANCAKE_HOURS_FILE", raising=False)
    assert hours.from_env("Asia/Ho_Chi_Minh").configured is False
    monkeypatch.setenv("PANCAKE_HOURS_FILE", str(tmp_path / "missing.toml"))
    assert hours.from_env("Asia/Ho_Chi_Minh").error       # read now: the file named is looked for
