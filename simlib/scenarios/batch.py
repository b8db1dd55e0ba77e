"""The textbook's batch shape: classify a large pile of documents, a few at a time, and watch progress.

Each document is one workflow instance of three steps: ``encode`` (an embedding
call), ``classify`` (a short LLM call that picks a label) and ``store`` (a
``write_db`` of the label). Under Hatchet the concurrency limit is the model's
``max_runs``; every other engine starts all documents at once.

`batch_progress` turns a run into documents-done-over-time (for plots) and
`batch_throughput` into documents per simulated hour. Both work on runs made with
``record=False``, which is how large batches are fastest.
"""

from __future__ import annotations

from dataclasses import replace

from ..core.errors import ConfigError
from ..core.llm import LLMConfig
from ..core.scenario import Scenario, register_scenario

__all__ = ["classify_document", "doc_batch", "batch_progress", "batch_throughput", "LABELS"]

LABELS = ("invoice", "contract", "receipt", "letter", "other")

# A classification prompt is short and the answer is one label: a few seconds, a fraction of a cent.
_CLASSIFIER = LLMConfig(mean_latency_s=4.0, jitter=0.25, tokens_in=1200, tokens_out=20)


def classify_document(ctx, upsert: bool = True, encode_s: float = 1.0, store_s: float = 0.5,
                      classify_s: float = 4.0):
    """One document: embed it, let the LLM pick a label, write the label to the results table.

    Args:
        upsert: the write is keyed by document id, so a repeat changes nothing;
            False makes it a plain insert that a repeated task duplicates.
        encode_s: seconds for the embedding call.
        store_s: seconds for the database write.
        classify_s: mean seconds of the LLM call.
    """
    doc = ctx.workflow_id
    yield ctx.tool("encode", effect=None, payload={"doc": doc}, latency_s=encode_s)
    label = yield ctx.llm("classify", prompt=f"label for {doc}", choices=LABELS, mean_latency_s=classify_s)
    yield ctx.tool("store", effect="write_db", payload={"doc": doc, "label": label},
                   idempotency_key=ctx.key("store") if upsert else None, latency_s=store_s)
    return label


def doc_batch(documents: int = 200, name: str = "doc-batch", **params) -> Scenario:
    """The batch scenario for ``documents`` documents (not registered; pass it to `simulate`)."""
    if isinstance(documents, bool) or not isinstance(documents, int) or documents < 1:
        raise ConfigError(f"documents must be a whole number >= 1, got {documents!r}")
    return replace(DOC_BATCH, name=name, instances=documents,
                   description=f"a batch of {documents} documents: encode, classify with an LLM, store",
                   params={**DOC_BATCH.params, **params})


DOC_BATCH = register_scenario(Scenario(
    name="doc-batch",
    description="a batch of 200 documents, each encoded, classified by an LLM and stored (write_db); "
                "Hatchet's max_runs limits how many run at once",
    workflow=classify_document, max_steps=3, params={"upsert": True}, instances=200, llm=_CLASSIFIER,
))


def _finish_times(source) -> tuple[list[float], int]:
    """Completion times and the batch size, from a RunResult or a history."""
    run = getattr(source, "run", None)
    if run is not None:
        done = sorted(i.ended_at for i in run.instances if i.finished)
        return done, len(run.instances)
    recs = list(source)
    done = sorted(r.time for r in recs if r.event == "complete")
    return done, len({r.workflow for r in recs})


def batch_progress(source, total: int | None = None) -> list[tuple[float, int, float]]:
    """Documents done over time: ``(time_s, done, fraction)`` at the start and after each completion.

    Args:
        source: a `RunResult` (history not needed) or a history / list of records.
        total: the batch size; by default the run's instance count (or the workflows in the history).
    """
    times, size = _finish_times(source)
    size = total if total is not None else size
    if size < 1:
        raise ConfigError(f"total must be >= 1, got {size!r}")
    points = [(0.0, 0, 0.0)]
    for n, t in enumerate(times, start=1):
        if t == points[-1][0]:
            points[-1] = (t, n, n / size)
        else:
            points.append((t, n, n / size))
    return points


def batch_throughput(source, total: int | None = None) -> dict:
    """The batch size, documents done, when the last one finished, and documents per simulated hour."""
    times, size = _finish_times(source)
    size = total if total is not None else size
    if size < 1:
        raise ConfigError(f"total must be >= 1, got {size!r}")
    t_end = times[-1] if times else 0.0
    return {"documents": size, "done": len(times), "fraction": len(times) / size, "duration_s": t_end,
            "docs_per_hour": len(times) / t_end * 3600.0 if t_end > 0 else 0.0}
