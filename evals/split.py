"""The fixed dev / held-out split of the seed questions.

Tuned values (sentence-ranker weights, candidate thresholds) are chosen on the dev half only and the
other half is reported separately, so the held-out figures are not flattered by the tuning. The rule
is by id, so it never changes when rows are reordered: the number in the id (``az-017`` -> 17) odd =
``dev``, even = ``heldout``. XQuAD rows split the same way by their closing number
(``xquad-ru-en-017`` -> dev), so a rule chosen on XQuAD answers is reported on the other half.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Literal

Split = Literal["dev", "heldout"]
_SPLIT_ID = re.compile(r"^(?:(?:az|ru|en)|xquad-(?:az|ru|en)-(?:az|ru|en))-(\d+)$")


def split_of(row_id: str) -> Split | None:
    """``dev`` or ``heldout`` for a seed or XQuAD question id; None for ids of other datasets."""
    m = _SPLIT_ID.match(str(row_id))
    if m is None:
        return None
    return "dev" if int(m.group(1)) % 2 == 1 else "heldout"


def select(rows: Iterable[Mapping[str, Any]], split: Split) -> list[Mapping[str, Any]]:
    return [r for r in rows if split_of(str(r["id"])) == split]
