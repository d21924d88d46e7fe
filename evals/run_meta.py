"""Where a report's figures come from: the commit whose code answered, and the machine.

A re-scored report must name the commit that produced the predictions, not the checkout that scores
them, or a figure would be credited to code that never ran; the runner records each answering
session's commit in predictions.meta.json and ``answering_commits`` reads it back.
"""

from __future__ import annotations

import os
import platform
import subprocess
from collections.abc import Mapping
from typing import Any

from rag.settings import PROJECT_ROOT


def answering_commits(run_meta: Mapping[str, Any]) -> str | None:
    """The commit(s) whose code produced the predictions (a resumed run may span several); older
    metadata has none, and the report then names the checkout that scores."""
    commits = [s.get("git_commit") for s in run_meta.get("sessions") or [] if s.get("answered")]
    distinct = list(dict.fromkeys(c for c in commits if c))
    return ", ".join(distinct) or None


def git_commit() -> str | None:
    """HEAD of the checkout this code runs from, "+dirty" when there are uncommitted changes."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, capture_output=True, text=True,
                              timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=PROJECT_ROOT,
                               capture_output=True, text=True, timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return head + ("+dirty" if dirty else "") if head else None


def machine() -> dict[str, Any]:
    return {"platform": platform.platform(), "machine": platform.machine(), "cpu_count": os.cpu_count(),
            "python": platform.python_version()}
