"""CI runs what the README promises: `.ci/run` is the README's test command, and `.ci/check` fails
when the lint or type step fails or when pytest collects nothing."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from rag.settings import PROJECT_ROOT


def _readme_test_command() -> str:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"# 2\. [^\n]*\n([^\n]+)\n", readme)
    assert block, "README lost its numbered command 2"
    return block.group(1).strip()


def test_ci_run_is_the_readme_test_command() -> None:
    run = (PROJECT_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    commands = [ln.strip() for ln in run.splitlines()
                if ln.strip() and not ln.lstrip().startswith(("#", "set ", "cd "))]
    assert commands == [_readme_test_command()]


def test_check_runs_lint_and_types_before_the_tests() -> None:
    check = (PROJECT_ROOT / ".ci" / "check").read_text(encoding="utf-8")
    steps = [check.index(s) for s in ('ruff" check .', 'mypy" rag ui evals bench', "-m pytest")]
    assert steps == sorted(steps)
    assert "set -euo pipefail" in check


def _check_in(tmp_path: Path, ruff_exit: int = 0, mypy_exit: int = 0) -> subprocess.CompletedProcess[str]:
    """Run a copy of .ci/check in a scratch project whose ruff and mypy are stubs with the given exit
    codes, and whose only test file holds no test."""
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    for tool, code in (("ruff", ruff_exit), ("mypy", mypy_exit)):
        (bin_dir / tool).write_text(f"#!/bin/sh\necho {tool} stub\nexit {code}\n")
        (bin_dir / tool).chmod(0o755)
    (bin_dir / "python").symlink_to(sys.executable)
    (tmp_path / ".ci").mkdir()
    (tmp_path / ".ci" / "check").write_text((PROJECT_ROOT / ".ci" / "check").read_text(encoding="utf-8"))
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_nothing.py").write_text("def helper() -> None:\n    pass\n")
    return subprocess.run(["bash", ".ci/check"], cwd=tmp_path, capture_output=True, text=True)


def test_check_fails_when_pytest_collects_nothing(tmp_path: Path) -> None:
    out = _check_in(tmp_path)
    assert out.returncode == 5, out.stdout + out.stderr
    assert "collected no tests" in out.stderr


def test_check_stops_at_a_lint_or_type_error(tmp_path: Path) -> None:
    lint = _check_in(tmp_path / "lint", ruff_exit=1)
    assert lint.returncode == 1 and "mypy stub" not in lint.stdout and "pytest" not in lint.stdout
    types = _check_in(tmp_path / "types", mypy_exit=1)
    assert types.returncode == 1 and "mypy stub" in types.stdout and "== pytest" not in types.stdout
