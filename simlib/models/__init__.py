"""The engine models, registered by name in `simlib.core.registry`.

Adding a model means adding one module and one `register_model` line below;
the engine never changes. Each module is imported only when its model is
first asked for.
"""

from __future__ import annotations

from ..core.registry import REGISTRY, all_models, get_model, model_names, register_model
from .base import EngineModel, ModelConfig

__all__ = ["REGISTRY", "model_names", "get_model", "all_models", "register_model", "EngineModel", "ModelConfig"]

register_model("none", "simlib.models.none:NoDurability")
register_model("app-checkpoint", "simlib.models.app_checkpoint:AppCheckpoint")
register_model("temporal", "simlib.models.temporal:Temporal")
register_model("langgraph", "simlib.models.langgraph:LangGraph")
register_model("openai-agents", "simlib.models.openai_agents:OpenAIAgents")
register_model("openai-agents+temporal", "simlib.models.openai_agents_temporal:OpenAIAgentsTemporal")
register_model("hatchet", "simlib.models.hatchet:Hatchet")
register_model("dag", "simlib.models.dag:Dag")
register_model("inngest", "simlib.models.inngest:Inngest")
register_model("restate", "simlib.models.restate:Restate")
register_model("dbos", "simlib.models.dbos:DBOS")
