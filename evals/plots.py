"""The two plots of a report folder: accuracy by question language and setting, latency histograms."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from evals.aggregate import SETTINGS


def plot_accuracy(report: Mapping[str, Any], path: Path) -> None:
    """Grouped bars: accuracy per question language, same-language vs cross-lingual side by side."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    langs = list(report["by_language_setting"])
    groups = [*langs, "all"]
    fig, ax = plt.subplots(figsize=(7, 4))
    width = 0.38
    for j, setting in enumerate(SETTINGS):
        vals: list[float] = []
        ns: list[int] = []
        for g in groups:
            m = report["by_setting"].get(setting, {}) if g == "all" else report["by_language_setting"][g][setting]
            vals.append(float(m.get("accuracy") or 0.0))
            ns.append(int(m.get("n_answerable") or 0))
        xs = [i + (j - 0.5) * width for i in range(len(groups))]
        bars = ax.bar(xs, vals, width, label=setting)
        for bar, n in zip(bars, ns, strict=True):
            ax.annotate(f"n={n}", (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center",
                        va="bottom", fontsize=8)
    ax.set_xticks(range(len(groups)), groups)
    ax.set_ylim(0, 1.25)
    ax.set_yticks([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    ax.set_ylabel("accuracy (answerable rows)")
    ax.set_title("Accuracy by question language")
    ax.legend(loc="upper center", ncol=2, fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_latency(scores: Sequence[Mapping[str, Any]], path: Path) -> None:
    """Histograms of total and first-token latency."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    total = [float(s["total"]) for s in scores if s.get("total") is not None]
    first = [float(s["first_token"]) for s in scores if s.get("first_token") is not None]
    fig, ax = plt.subplots(figsize=(7, 4))
    if total or first:
        import numpy as np

        bins = [float(b) for b in np.histogram_bin_edges(total + first, bins=20)]  # shared: comparable
        if total:
            ax.hist(total, bins=bins, alpha=0.6, label=f"total (n={len(total)})")
        if first:
            ax.hist(first, bins=bins, alpha=0.6, label=f"first token (n={len(first)})")
        ax.legend(fontsize=8)
    else:
        ax.text(0.5, 0.5, "no timings in the predictions", ha="center", va="center", transform=ax.transAxes)
    ax.set_xlabel("seconds")
    ax.set_ylabel("questions")
    ax.set_title("Latency")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
