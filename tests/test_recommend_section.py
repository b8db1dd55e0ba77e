"""The recommender against Section 64.4 itself.

Each case below is a workload written from the section's text, with the place that decides it
(a short reference, not the section's wording) and the engines the section accepts first. A
second test walks every valid profile and prints how often the ranking's first engine is the
decision tree's leaf, overall and on the slices where the section is unambiguous.
"""

import pytest

from simlib.course.agreement import SLICES, measure
from simlib.course.recommend import Profile, recommend

WAC = {"temporal", "inngest", "restate", "hatchet", "langgraph"}  # the workflow-as-code five (64.4.1.7)
MONEY = {"temporal", "restate"}

# (reference in the section, profile fields that differ from the defaults, accepted first engines)
CASES = [
    # 64.4.1.1: infrastructure-level durability, strict exactly-once, a platform team.
    ("64.4.1.1 long-running, exactly-once, Kubernetes platform team",
     {"cost_of_failure": "critical", "team_size": "platform-team", "ops_appetite": "high"}, {"temporal"}),
    ("64.4.1.1 tool-heavy agent on outside systems, platform team",
     {"cost_of_failure": "high", "team_size": "platform-team", "ops_appetite": "medium", "language": "go"},
     {"temporal"}),
    ("64.4.1.1 platform appetite, Java, high stakes",
     {"cost_of_failure": "high", "language": "java"}, {"temporal"}),
    # 64.4.1.2: durability without running infrastructure, inside an existing web app.
    ("64.4.1.2 existing TypeScript web app, no infrastructure",
     {"language": "typescript", "trigger": "event", "ops_appetite": "none", "team_size": "small"}, {"inngest"}),
    ("64.4.1.2 prefers managed services, Python",
     {"ops_appetite": "none"}, {"inngest"}),
    ("64.4.1.2 event-driven LLM pipeline, Go web app",
     {"language": "go", "trigger": "event", "team_size": "small", "ops_appetite": "low"}, {"inngest"}),
    ("64.4.1.2 event-driven, medium team, Python",
     {"trigger": "event"}, {"inngest"}),
    # 64.4.1.3 and 64.4.2.1: already on LangGraph.
    ("64.4.1.3 already LangGraph, wants human-in-the-loop",
     {"uses_langgraph": True, "needs_hitl": True}, {"langgraph"}),
    ("64.4.2.1 lightweight summarisation needs only checkpointing",
     {"uses_langgraph": True, "cost_of_failure": "low"}, {"langgraph"}),
    ("64.4.1.3 time-travel debugging, TypeScript LangGraph",
     {"uses_langgraph": True, "language": "typescript", "team_size": "small", "ops_appetite": "low"},
     {"langgraph"}),
    ("64.4.1.3 already LangGraph, event-driven, no ops",
     {"uses_langgraph": True, "trigger": "event", "ops_appetite": "none"}, {"langgraph"}),
    ("64.4.2.1 LangGraph booking agent that charges cards, platform team",
     {"uses_langgraph": True, "moves_money": True, "team_size": "platform-team"}, {"temporal"}),
    ("64.4.2.1 LangGraph agent outgrew checkpoints, critical",
     {"uses_langgraph": True, "cost_of_failure": "critical"}, {"temporal"}),
    ("64.4.2.1 + 64.4.1.4 LangGraph money, small team without a cluster",
     {"uses_langgraph": True, "moves_money": True, "team_size": "small", "ops_appetite": "low"}, MONEY),
    ("64.4.2.1 LangGraph money, no ops at all",
     {"uses_langgraph": True, "moves_money": True, "ops_appetite": "none"}, MONEY),
    # 64.4.1.4: greenfield, Temporal's cluster too heavy.
    ("64.4.1.4 greenfield TypeScript stack, cluster too heavy",
     {"cost_of_failure": "high", "team_size": "small", "ops_appetite": "low", "language": "typescript"},
     {"restate"}),
    ("64.4.1.4 greenfield Java service, small team",
     {"team_size": "small", "language": "java"}, {"restate"}),
    ("64.4.1.4 greenfield Python, high stakes, approvals",
     {"cost_of_failure": "high", "team_size": "small", "ops_appetite": "low", "needs_hitl": True}, {"restate"}),
    # 64.4.1.5: Python-first background jobs at scale.
    ("64.4.1.5 encode and classify 100,000 documents",
     {"batch_shaped": True}, {"hatchet"}),
    ("64.4.1.5 small Python team, low stakes batch",
     {"batch_shaped": True, "cost_of_failure": "low", "team_size": "small", "ops_appetite": "low",
      "graph": "static"}, {"hatchet"}),
    ("64.4.1.5 event-fed batch queue, platform team",
     {"batch_shaped": True, "trigger": "event", "team_size": "platform-team"}, {"hatchet"}),
    ("64.4.1.5 Celery, but durable, on a schedule",
     {"batch_shaped": True, "trigger": "schedule"}, {"hatchet"}),
    # 64.4.1.7 and Self-Check Q4: static graph on a cron.
    ("64.4.1.7 nightly ETL, Python",
     {"graph": "static", "trigger": "schedule"}, {"dag"}),
    ("64.4.1.7 nightly ETL, TypeScript team (YAML / visual editor)",
     {"graph": "static", "trigger": "schedule", "language": "typescript"}, {"dag"}),
    ("64.4.1.7 model-training schedule, Java, nothing to operate (Step Functions)",
     {"graph": "static", "trigger": "schedule", "language": "java", "ops_appetite": "none",
      "cost_of_failure": "low"}, {"dag"}),
    ("64.4.1.7 periodic eval runs, platform team, high stakes",
     {"graph": "static", "trigger": "schedule", "cost_of_failure": "high", "team_size": "platform-team",
      "ops_appetite": "high"}, {"dag"}),
    ("64.4.1.7 scheduled report generation, Go, small team",
     {"graph": "static", "trigger": "schedule", "language": "go", "team_size": "small",
      "ops_appetite": "low"}, {"dag"}),
    ("64.4.1.7 batch-shaped nightly pipeline",
     {"graph": "static", "trigger": "schedule", "batch_shaped": True}, {"dag"}),
    ("Self-Check Q4 nightly training and reports",
     {"graph": "static", "trigger": "schedule", "nightly_batch": True}, {"dag"}),
    ("64.4.1.7 graph made at run time, even on a schedule",
     {"graph": "runtime", "trigger": "schedule"}, WAC),
    ("Self-Check Q4 on-demand agents beside a nightly batch",
     {"nightly_batch": True, "cost_of_failure": "high", "team_size": "platform-team"}, WAC),
    # 64.4.1.8: the OpenAI Agents SDK.
    ("64.4.1.8 agent entirely inside the OpenAI stack",
     {"openai_stack": True}, {"openai-agents"}),
    ("64.4.1.8 OpenAI stack, cheap retries",
     {"openai_stack": True, "cost_of_failure": "low", "team_size": "small"}, {"openai-agents"}),
    ("64.4.1.8 OpenAI stack, human approvals, TypeScript",
     {"openai_stack": True, "needs_hitl": True, "language": "typescript"}, {"openai-agents"}),
    ("64.4.1.8 crash mid-Stripe call: bridge with Temporal",
     {"openai_stack": True, "moves_money": True}, {"openai-agents+temporal"}),
    ("64.4.1.8 database writes outside the SDK, high stakes",
     {"openai_stack": True, "cost_of_failure": "high"}, {"openai-agents+temporal"}),
    # Exercise 64.4.1: the returns agent.
    ("Exercise 64.4.1 returns agent, critical, events",
     {"moves_money": True, "cost_of_failure": "critical", "trigger": "event"}, {"temporal"}),
    ("Exercise 64.4.1 returns agent, platform team",
     {"moves_money": True, "cost_of_failure": "high", "team_size": "platform-team"}, {"temporal"}),
    ("Exercise 64.4.1 greenfield small team: Restate a credible second",
     {"moves_money": True, "cost_of_failure": "high", "team_size": "small", "ops_appetite": "low"}, {"restate"}),
    ("Exercise 64.4.1 task-queue shaped Python system still wants Temporal",
     {"moves_money": True, "cost_of_failure": "high", "batch_shaped": True}, {"temporal"}),
    ("Exercise 64.4.1 Inngest harder for the refund sequence (no-ops web app)",
     {"moves_money": True, "ops_appetite": "none", "trigger": "event", "language": "typescript"}, MONEY),
    # Self-Check Q3: application-level checkpointing versus an engine.
    ("Self-Check Q3 under five steps, cheap retry",
     {"cost_of_failure": "low"}, {"app-checkpoint"}),
    ("Self-Check Q3 avoid a cluster, small Java team",
     {"cost_of_failure": "low", "team_size": "small", "language": "java", "ops_appetite": "low"},
     {"app-checkpoint"}),
    ("Self-Check Q3 approvals with arbitrary waits need Temporal/Inngest",
     {"cost_of_failure": "low", "needs_hitl": True, "team_size": "small", "ops_appetite": "low"},
     {"inngest", "temporal"}),
    ("Self-Check Q3 approvals, platform team",
     {"needs_hitl": True, "team_size": "platform-team", "language": "java", "ops_appetite": "high"},
     {"temporal"}),
    # Figure 64.4.1: team size, then language and appetite; stakes before convenience.
    ("Figure 64.4.1 platform team, several languages",
     {"language": "polyglot", "team_size": "platform-team", "cost_of_failure": "high"}, {"temporal"}),
    ("Figure 64.4.1 small polyglot team, no cluster",
     {"language": "polyglot", "team_size": "small", "ops_appetite": "low"}, {"restate"}),
    ("Figure 64.4.1 critical platform team on events is not sent to Inngest",
     {"cost_of_failure": "critical", "team_size": "platform-team", "trigger": "event"}, {"temporal"}),
]


def test_there_are_at_least_forty_cases():
    assert len(CASES) >= 40
    assert len({ref for ref, _, _ in CASES}) == len(CASES)


@pytest.mark.parametrize("ref, fields, accepted", CASES, ids=[c[0] for c in CASES])
def test_section_case(ref, fields, accepted):
    rec = recommend(Profile(**fields))
    assert rec.top in accepted, f"{ref}: got {rec.top}\n" + "\n".join(rec.summary_lines())
    assert rec.top != "dbos"
    if len(accepted) == 1 or rec.tree_leaf in accepted:
        assert rec.tree_leaf in accepted, f"{ref}: tree leaf {rec.tree_leaf}"


def test_agreement_over_every_valid_profile(capsys):
    """Every valid profile (92,160 at the default crash rate): the ranking and the tree agree."""
    result = measure()
    with capsys.disabled():
        print("\n" + result.format_text())
    assert result.total == 4 * 3 * 5 * 4 * 2 * 3 * 2 ** 6
    assert result.rate >= 0.95
    assert result.departures_explained == result.total - result.equal
    assert result.floor_violations == 0 and result.outside_first == 0
    for name, (members, section, tree) in result.slices.items():
        assert members > 0, name
        assert section == members, f"slice {name} ({SLICES[name].cite}): {section}/{members}"
        assert tree == members, f"slice {name}: tree {tree}/{members}"
