"""The verdict on a target, given the floor measured in the same run (``import verdicts``, beside the benches).

A target is **met** when goshfile's ratio is at most the target. When it is not, the floor decides
what that means: the floor is the least program doing the same job with the same libraries (or
the libraries alone), timed in the same run against the same baseline. If the floor's own ratio
is above the target, no program built that way meets it, and the target is **stopped by the
floor**; otherwise the target is **NOT met** and the floor shows how much room there was.
"""

from __future__ import annotations

MET = "met"
FLOOR = "stopped by the floor"
NOT_MET = "NOT met"


def verdict(ratio: float, target: float, floor_ratio: float | None) -> str:
    """:data:`MET`, :data:`FLOOR` or :data:`NOT_MET` for ``ratio`` against ``target``."""
    if ratio <= target:
        return MET
    if floor_ratio is not None and floor_ratio > target:
        return FLOOR
    return NOT_MET


def text(said: str, floor_ratio: float | None, floor: str) -> str:
    """The verdict ``said`` (from :func:`verdict`, on unrounded figures) with the floor's ratio beside it:
    ``NOT met; the check job floor is 2.310x``.

    The floor's ratio has three decimals: a floor printed as 2.50x could be on either side of 2.5.
    """
    if floor_ratio is None or said == MET:
        return said
    if said == FLOOR:
        return f"{said}: {floor} alone is {floor_ratio:.3f}x"
    return f"{said}; {floor} is {floor_ratio:.3f}x"
