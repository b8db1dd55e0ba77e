"""The OpenAI Agents SDK inside Temporal (``temporalio.contrib.openai_agents``).

``Runner.run`` executes inside a Temporal workflow. Every model call becomes
an activity (``invoke_model_activity``, 60 s start-to-close by default, with
Temporal's default retry policy), and tools wrapped with ``activity_as_tool``
are activities too. The agent loop itself is workflow code, so after a crash
it is replayed from the event history: finished model calls and tools return
their recorded results and only the interrupted activity runs again, exactly
as with plain Temporal. The model reuses the Temporal model's behaviour and
changes only the model-call timeout.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core.stores import Component, NOTHING, STALL
from .params import param
from .temporal import Temporal, TemporalConfig, TemporalContext

__all__ = ["OpenAIAgentsTemporal", "OpenAIAgentsTemporalConfig"]


@dataclass(frozen=True)
class OpenAIAgentsTemporalConfig(TemporalConfig):
    """Settings of the hybrid.

    Attributes:
        start_to_close_s: start-to-close timeout of the model-call activity (the plugin's default 60 s);
            like every start-to-close it bounds each attempt, so a model call longer than this never returns.
        tool_start_to_close_s: start-to-close timeout you give ``activity_as_tool`` (inherited, 30 s).
    """

    start_to_close_s: float = param(
        60.0, kind="code",
        source="temporalio/sdk-python:temporalio/contrib/openai_agents/_model_parameters.py "
               "ModelActivityParameters(start_to_close_timeout=timedelta(seconds=60))")


class OpenAIAgentsTemporalContext(TemporalContext):
    """Model calls and tools are activities; the agent loop is replayed workflow code."""

    __slots__ = ()


class OpenAIAgentsTemporal(Temporal):
    """Agents SDK + Temporal: recovers like Temporal, the agent's turns included."""

    name = "openai-agents+temporal"
    title = "OpenAI Agents SDK + Temporal"
    family = "agent-runtime"
    state_location = "the Temporal server's event history: every model call and tool is an activity"
    context_class = OpenAIAgentsTemporalContext
    config_class = OpenAIAgentsTemporalConfig
    components = (
        Component("worker", "Temporal worker running Runner.run as workflow code", False, NOTHING,
                  "stateless: another worker replays the agent loop from the history"),
        Component("server", "Temporal server + persistence DB (event history)", True, STALL,
                  "holds every model response and tool result; while it is down nothing moves, nothing is lost"),
        Component("openai", "OpenAI API (called from the model activity)", False, NOTHING,
                  "a model call cut off by a crash is retried as an activity after its start-to-close timeout"),
    )
