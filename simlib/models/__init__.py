"""The registry of engine models.

Adding a model means adding one module and one line to `REGISTRY`; the engine
never changes. Modules are imported only when a model is first asked for.
"""

from __future__ import annotations

import importlib

from ..core.errors import ConfigError
from .base import EngineModel, ModelConfig

__all__ = ["REGISTRY", "model_names", "get_model", "all_models", "EngineModel", "ModelConfig"]

REGISTRY: dict[str, str] = {
    "none": "simlib.models.none:NoDurability",
    "app-checkpoint": "simlib.models.app_checkpoint:AppCheckpoint",
    "temporal": "simlib.models.temporal:Temporal",
    "langgraph": "simlib.models.langgraph:LangGraph",
    "openai-agents": "simlib.models.openai_agents:OpenAIAgents",
    "openai-agents+temporal": "simlib.models.openai_agents_temporal:OpenAIAgentsTemporal",
    "hatchet": "simlib.models.hatchet:Hatchet",
    "dag": "simlib.models.dag:Dag",
    "inngest": "simlib.models.inngest:Inngest",
    "restate": "simlib.models.restate:Restate",
    "dbos": "simlib.models.dbos:DBOS",
}


def model_names() -> list[str]:
    """The registered model names, in registry order."""
    return list(REGISTRY)


def _load(name: str) -> type[EngineModel]:
    module, _, attr = REGISTRY[name].partition(":")
    return getattr(importlib.import_module(module), attr)


def get_model(name: str, **config) -> EngineModel:
    """A fresh model instance by registry name, with optional settings."""
    if isinstance(name, EngineModel):
        return name.with_config(**config) if config else name
    if name not in REGISTRY:
        raise ConfigError(f"unknown model {name!r}; allowed: {', '.join(REGISTRY)}")
    return _load(name)(**config)


def all_models() -> list[EngineModel]:
    """One default instance of every registered model."""
    return [get_model(n) for n in REGISTRY]
