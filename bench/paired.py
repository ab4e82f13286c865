"""Per-run ratios of interleaved samples, for the benches (``import paired``, beside them).

Two commands timed back to back in each run see about the same machine, so the ratio of their
times in one run is less moved by the load drifting from run to run than the ratio of their
medians is. The benches print both.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence


def spread(values: Sequence[float]) -> dict[str, float]:
    """Median and quartiles: the middle half of ``values`` lies between ``q1`` and ``q3``."""
    if not values:
        raise ValueError("no values")
    if len(values) < 2:
        return {"median": round(values[0], 3), "q1": round(values[0], 3), "q3": round(values[0], 3)}
    q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")  # within the data
    return {"median": round(statistics.median(values), 3), "q1": round(q1, 3), "q3": round(q3, 3)}


def per_run(numerators: Sequence[float], denominators: Sequence[float]) -> dict[str, float]:
    """The spread of the run-by-run ratios ``numerators[i] / denominators[i]``."""
    return spread([a / b for a, b in zip(numerators, denominators, strict=True)])


def text(s: dict[str, float]) -> str:
    """``1.35x (1.29-1.54)``: the median and the middle half."""
    return f"{s['median']:.2f}x ({s['q1']:.2f}-{s['q3']:.2f})"
