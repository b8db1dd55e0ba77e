"""The recommender questionnaire: describe a workload, see the answer first, then the route and the report.

`recommender_view` is the plain function; `Recommender` is the widget. The
questions are the fields of `simlib.course.recommend.Profile`.

Example:
    >>> from simlib.widgets import recommender_view
    >>> fig, ranking = recommender_view({"moves_money": True, "cost_of_failure": "high"})
    >>> ranking["engine"].iloc[0]
    'temporal'
"""

from __future__ import annotations

import html
from collections.abc import Mapping

import ipywidgets as widgets

from ..course import matrix
from ..course.decision_tree import draw_tree
from ..course.recommend import BOOL_FIELDS, CHOICES, Profile, recommend
from .base import Panel, figure_output, frame_output, text_output

__all__ = ["recommender_view", "Recommender", "RANKING_COLUMNS"]

RANKING_COLUMNS = ("rank", "engine", "name", "score", "why", "reasons")
_QUESTIONS = {
    "cost_of_failure": "cost of a failure",
    "team_size": "team",
    "language": "language",
    "ops_appetite": "appetite for ops",
    "graph": "graph known",
    "trigger": "trigger",
    "uses_langgraph": "already on LangGraph",
    "openai_stack": "on the OpenAI Agents SDK",
    "batch_shaped": "many background jobs",
    "moves_money": "moves money",
    "needs_hitl": "waits for humans",
    "nightly_batch": "also runs nightly batch",
}


def recommender_view(profile: Profile | Mapping | None = None):
    """Rank the engines for a workload and draw its route through the decision tree.

    Args:
        profile: a `Profile` or a mapping of its fields (missing fields take defaults).

    Returns:
        (figure, ranking): the decision tree with the route highlighted, and a
        DataFrame with one row per engine, best first (columns `RANKING_COLUMNS`, ``why``
        being the strongest reason in one line); ``ranking.attrs["answer"]`` holds the
        recommended engine or combination, ``ranking.attrs["summary"]`` the answer-first
        lines (tie, departure, also worth a look, top three), ``ranking.attrs["report"]``
        the full text report and ``ranking.attrs["path"]`` the route's node names.
    """
    import pandas as pd

    rec = recommend(profile if profile is not None else Profile())
    rows = [{"rank": i, "engine": name, "name": matrix.get(name).display_name, "score": rec.scores[name],
             "why": rec.one_line(name), "reasons": "; ".join(rec.reasons[name])}
            for i, name in enumerate(rec.ranking, start=1)]
    df = pd.DataFrame(rows, columns=list(RANKING_COLUMNS))
    df.attrs["answer"] = rec.answer
    df.attrs["top3"] = rec.section_ranking[:3]
    df.attrs["summary"] = [line for line in rec.summary_lines() if not line.startswith(("Top three", "  "))]
    df.attrs["report"] = rec.format_text(top_n=3)
    df.attrs["path"] = list(rec.path)
    fig = draw_tree(rec.path)
    return fig, df


class Recommender(Panel):
    """Widget: one control per `Profile` field; shows the answer, the top three, the route, and the
    full report in a collapsed Accordion."""

    def __init__(self, image_format: str = "svg", **initial):
        super().__init__()
        p = Profile(**initial)
        style = {"description_width": "initial"}
        self.fields: dict[str, widgets.ValueWidget] = {}
        for name, allowed in CHOICES.items():
            self.fields[name] = widgets.Dropdown(options=allowed, value=getattr(p, name),
                                                 description=_QUESTIONS.get(name, name), style=style)
        for name in BOOL_FIELDS:
            self.fields[name] = widgets.Checkbox(value=getattr(p, name), description=_QUESTIONS.get(name, name),
                                                 indent=False)
        self.fields["crash_rate_per_hour"] = widgets.FloatSlider(
            value=p.crash_rate_per_hour, min=0.0, max=10.0, step=0.5, description="crashes per hour",
            continuous_update=False, style=style)
        self.report = widgets.HTML()
        self.details = widgets.Accordion(children=(self.report,), selected_index=None)
        self.details.set_title(0, "Full report: every score, reason, watch-out and the evidence")
        self._setup(list(self.fields.values()), auto=True, per_row=3, image_format=image_format)
        self.refresh()

    @property
    def profile(self) -> dict:
        """The answers as a plain dict of `Profile` fields."""
        return {k: w.value for k, w in self.fields.items()}

    def compute(self):
        return recommender_view(self.profile)

    def render(self, result) -> list:
        fig, df = result
        self.report.value = f"<pre style='white-space:pre-wrap;font-size:85%'>{html.escape(df.attrs['report'])}</pre>"
        details = {"output_type": "display_data", "metadata": {}, "data": {
            "application/vnd.jupyter.widget-view+json": {"model_id": self.details.model_id, "version_major": 2,
                                                         "version_minor": 0},
            "text/plain": "Full report (collapsed)"}}
        first, *notes = df.attrs["summary"]
        top = df[df["engine"].isin(df.attrs["top3"])][["rank", "name", "score", "why"]]
        return [text_output(first, bold=True), *([text_output("\n".join(notes), pre=True)] if notes else []),
                frame_output(top.assign(rank=range(1, len(top) + 1)), "Top three"),
                text_output(f"Route: {' -> '.join(df.attrs['path'])}"), figure_output(fig, fmt=self.image_format),
                details]
