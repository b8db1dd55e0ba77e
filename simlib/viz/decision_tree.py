"""The decision tree of Section 64.4 with a learner's route highlighted.

The drawing lives in `simlib.course.decision_tree` (with the graph and its walk);
this module re-exports it for `simlib.viz` users and adds a helper that draws
the route for a workload profile in one call.

Example:
    >>> from simlib.viz.decision_tree import draw_decision_tree
    >>> fig = draw_decision_tree({"moves_money": True, "cost_of_failure": "high"})
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..course.decision_tree import build_tree, draw_tree, walk

__all__ = ["draw_tree", "draw_decision_tree", "walk", "build_tree"]


def draw_decision_tree(profile_or_path=None, ax=None):
    """Draw the selection graph with a route highlighted.

    Args:
        profile_or_path: a `simlib.course.recommend.Profile`, a mapping of its fields, a node
            path as `walk` returns it, or None for no highlight.
        ax: axes to draw on; a new figure is made when None.

    Returns:
        The figure.
    """
    from ..course.recommend import Profile

    if profile_or_path is None:
        path = None
    elif isinstance(profile_or_path, (Profile, Mapping)):
        path = walk(profile_or_path)
    elif isinstance(profile_or_path, Sequence) and not isinstance(profile_or_path, str):
        path = list(profile_or_path)
    else:
        raise ValueError(f"expected a Profile, a mapping of its fields or a node path, "
                         f"got {type(profile_or_path).__name__}")
    return draw_tree(path, ax=ax)
