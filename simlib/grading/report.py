"""The instructor's one-page picture of a graded class: ``report.html`` and ``report.png``.

Everything is read from the grader's own manifest (the rows it wrote), never
from files in the output folder that anyone could have edited: the score
distribution, each question's pass rate, the Part B invariant that fails most
often, the most common wrong-answer message and misconception, and the
submissions that could not be graded, with why.
"""

from __future__ import annotations

import base64
import html
import io
from collections import Counter
from typing import Any

from .manifest import Manifest, write_atomic

__all__ = ["class_summary", "write_report"]


def class_summary(manifest: Manifest, rates: list[dict]) -> dict:
    """The numbers the report shows, as plain data (tests read this)."""
    subs = [manifest.entries[k] for k in sorted(manifest.entries, key=lambda k: manifest.entries[k]["submission"])]
    scores, ungraded = [], []
    failing_inv: Counter[str] = Counter()
    messages: Counter[Any] = Counter()
    misconceptions: Counter[Any] = Counter()
    for e in subs:
        s = e.get("summary", {})
        rows = e.get("rows", [])
        if not s.get("graded") or s.get("reason"):
            ungraded.append((e["submission"], s.get("reason") or "no questions could be graded"))
        if s.get("max_score"):
            scores.append(100.0 * s.get("score", 0) / s["max_score"])
        for row in rows:
            if len(row) < 8 or row[6] == "yes" or row[2] == "-":
                continue
            if row[2].startswith("b_") and row[5] == "wrong":
                failing_inv[row[2]] += 1
            if row[5] in ("wrong", "partial"):
                messages[(row[2], row[7])] += 1
                if "misconception" in row[7].lower():
                    misconceptions[(row[2], row[7])] += 1
    return {"submissions": len(subs), "scores_pct": scores, "ungraded": ungraded,
            "failing_invariant": failing_inv.most_common(1)[0] if failing_inv else None,
            "common_mistake": messages.most_common(1)[0] if messages else None,
            "misconception": misconceptions.most_common(1)[0] if misconceptions else None,
            "pass_rates": rates}


def _figure_png(summary: dict) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    rates = summary["pass_rates"]
    fig = Figure(figsize=(11, 4.2 + 0.18 * len(rates)), dpi=90)
    ax1, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.4]})
    ax1.hist(summary["scores_pct"] or [0], bins=[i * 10 for i in range(11)], color="#4c72b0", edgecolor="white")
    ax1.set_xlabel("score (% of the maximum)")
    ax1.set_ylabel("submissions")
    ax1.set_title(f"score distribution ({summary['submissions']} submissions)")
    labels = [f"{r['question']} [{r['assignment'][:12]}]" for r in rates]
    ax2.barh(range(len(rates)), [100 * r["pass_rate"] for r in rates], color="#55a868")
    ax2.set_yticks(range(len(rates)), labels, fontsize=7)
    ax2.invert_yaxis()
    ax2.set_xlim(0, 100)
    ax2.set_xlabel("full marks (% of submissions)")
    ax2.set_title("pass rate per question")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


def _html(summary: dict, png: bytes) -> str:
    esc = html.escape
    parts = ["<!doctype html><html><head><meta charset='utf-8'><title>Grading report</title>",
             "<style>body{font-family:sans-serif;max-width:1000px;margin:1em auto}td,th{padding:2px 8px;"
             "text-align:left}tr:nth-child(even){background:#f4f4f4}</style></head><body>",
             f"<h1>Grading report: {summary['submissions']} submissions</h1>"]
    scores = summary["scores_pct"]
    if scores:
        parts.append(f"<p>Mean score {sum(scores) / len(scores):.0f}% of the maximum; "
                     f"{sum(1 for s in scores if s >= 100)} with full marks.</p>")
    parts.append(f"<img alt='score distribution and pass rates' style='max-width:100%' "
                 f"src='data:image/png;base64,{base64.b64encode(png).decode()}'>")
    inv = summary["failing_invariant"]
    parts.append("<h2>What goes wrong most</h2><ul>")
    parts.append(f"<li>Part B invariant failed most often: <b>{esc(inv[0])}</b> ({inv[1]} submissions)</li>"
                 if inv else "<li>No Part B invariant failed.</li>")
    mis = summary["misconception"]
    parts.append(f"<li>Most common misconception ({esc(mis[0][0])}, {mis[1]} submissions): {esc(mis[0][1])}</li>"
                 if mis else "<li>No misconception was detected.</li>")
    mistake = summary["common_mistake"]
    if mistake:
        parts.append(f"<li>Most common wrong answer ({esc(mistake[0][0])}, {mistake[1]} submissions): "
                     f"{esc(mistake[0][1])}</li>")
    parts.append("</ul><h2>Pass rate per question</h2><table><tr><th>assignment</th><th>question</th>"
                 "<th>full marks</th><th>rate</th><th>mean / max</th></tr>")
    for r in summary["pass_rates"]:
        parts.append(f"<tr><td>{esc(r['assignment'])}</td><td>{esc(r['question'])}</td>"
                     f"<td>{r['passed']}/{r['submissions']}</td><td>{r['pass_rate']:.0%}</td>"
                     f"<td>{r['mean_score']:g} / {r['max_score']:g}</td></tr>")
    parts.append("</table>")
    ungraded = summary["ungraded"]
    parts.append(f"<h2>Not (fully) graded: {len(ungraded)}</h2>")
    if ungraded:
        parts.append("<table><tr><th>submission</th><th>why</th></tr>")
        parts += [f"<tr><td>{esc(s)}</td><td>{esc(why)}</td></tr>" for s, why in ungraded]
        parts.append("</table>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def write_report(out, manifest: Manifest, rates: list[dict]) -> dict:
    """Write ``report.png`` and ``report.html`` (the picture embedded) into ``out``; returns the summary."""
    summary = class_summary(manifest, rates)
    png = _figure_png(summary)
    write_atomic(out / "report.png", png)
    write_atomic(out / "report.html", _html(summary, png).encode("utf-8"))
    return summary
