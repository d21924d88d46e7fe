"""Compare two saved reports metric by metric: ``python -m evals.compare OLD/report.json NEW/report.json``
(``rag eval --compare OLD/report.json`` prints the same after a run)."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from evals.render import fmt


def _flatten(report: Mapping[str, Any]) -> dict[str, float]:
    flat: dict[str, float] = {}
    sections: list[tuple[str, Mapping[str, Any]]] = [("overall", report.get("overall") or {})]
    for group in ("by_language", "by_setting", "by_direction"):
        for name, metrics in (report.get(group) or {}).items():
            sections.append((name, metrics))
    for prefix, metrics in sections:
        for k, v in metrics.items():
            if isinstance(v, int | float) and not isinstance(v, bool):
                flat[f"{prefix}.{k}"] = float(v)
    mem = (report.get("meta") or {}).get("peak_memory_mb")
    if isinstance(mem, int | float):
        flat["meta.peak_memory_mb"] = float(mem)
    return flat


def compare(old_report: Mapping[str, Any], new_report: Mapping[str, Any]) -> str:
    """Metric by metric, old -> new and the difference; changed metrics first."""
    old, new = _flatten(old_report), _flatten(new_report)
    keys = [k for k in new if k in old] + [k for k in new if k not in old] + [k for k in old if k not in new]
    changed, same = [], []
    for k in keys:
        a, b = old.get(k), new.get(k)
        if a is not None and b is not None and abs(a - b) < 1e-9:
            same.append(k)
            continue
        delta = f"{b - a:+.3f}" if a is not None and b is not None else "n/a"
        metric = k.split(".", 1)[1]
        changed.append(f"{k:<42} {fmt(a, metric):>10} {fmt(b, metric):>10} {delta:>9}")
    old_meta, new_meta = old_report.get("meta") or {}, new_report.get("meta") or {}
    head = [f"compare: {old_meta.get('git_commit') or '?'} ({old_meta.get('date', '?')}) -> "
            f"{new_meta.get('git_commit') or '?'} ({new_meta.get('date', '?')})"]
    old_ds, new_ds = old_meta.get("dataset") or {}, new_meta.get("dataset") or {}
    if (old_ds.get("path"), old_ds.get("scored")) != (new_ds.get("path"), new_ds.get("scored")):
        head.append(f"warning: different row sets: {old_ds.get('path')} ({old_ds.get('scored')} scored) vs "
                    f"{new_ds.get('path')} ({new_ds.get('scored')} scored)")
    if not changed:
        return "\n".join([*head, f"no metric changed ({len(same)} compared)"])
    table = [f"{'metric':<42} {'old':>10} {'new':>10} {'delta':>9}", *changed]
    return "\n".join([*head, *table, f"({len(same)} metrics unchanged)"])


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m evals.compare OLD.json NEW.json``: print the comparison of two saved reports."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2:
        print("usage: python -m evals.compare OLD/report.json NEW/report.json", file=sys.stderr)
        return 2
    old, new = (json.loads(Path(a).read_text(encoding="utf-8")) for a in args)
    print(compare(old, new))
    return 0


if __name__ == "__main__":
    sys.exit(main())
