"""Dependencies point down: the library (``rag``) never imports its users (``ui``, ``evals``).

``rag serve`` and ``rag eval`` reach those users through the ``rag_chat.commands`` entry points
declared in pyproject.toml; these tests check both halves of that arrangement.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from rag.cli import COMMAND_GROUP, installed_command
from rag.errors import RagError

ROOT = Path(__file__).resolve().parent.parent

# Imports every rag.* module in a fresh interpreter and prints what of ui/evals got loaded.
_PROBE = """
import json, pkgutil, sys, importlib
import rag
names = sorted(m.name for m in pkgutil.walk_packages(rag.__path__, "rag."))
for name in names:
    importlib.import_module(name)
users = sorted(m for m in sys.modules if m.split(".")[0] in ("ui", "evals"))
print(json.dumps({"imported": names, "users": users}))
"""


def test_rag_imports_nothing_from_ui_or_evals() -> None:
    out = subprocess.run([sys.executable, "-c", _PROBE], cwd=ROOT, capture_output=True, text=True, check=True)
    probe = json.loads(out.stdout.strip().splitlines()[-1])
    assert {"rag.cli", "rag.pipeline", "rag.settings"} <= set(probe["imported"])
    assert len(probe["imported"]) >= 20  # every module, not just the package roots
    assert probe["users"] == []


def _declared() -> dict[str, str]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return dict(meta["project"]["entry-points"][COMMAND_GROUP])


def test_declared_commands_resolve_to_callables() -> None:
    declared = _declared()
    assert set(declared) == {"serve", "eval"}
    for target in declared.values():
        module, _, attr = target.partition(":")
        assert callable(getattr(importlib.import_module(module), attr))


def test_installed_commands_match_pyproject() -> None:
    """The installed metadata is what ``rag`` dispatches through: a stale install fails here, not in use."""
    for name, target in _declared().items():
        fn = installed_command(name)
        assert f"{fn.__module__}:{fn.__name__}" == target


def test_unknown_command_is_a_user_error() -> None:
    with pytest.raises(RagError, match="fix: pip install -e"):
        installed_command("no-such-command")
