"""The registry of engine models, by name.

`simlib.models` registers the built-in models here when it is imported; a new
model registers itself with one `register_model` line. Entries may name the
class as ``"module:Class"`` so its module is imported only when the model is
first asked for. The core looks models up here and never imports
`simlib.models` itself.
"""

from __future__ import annotations

import importlib
from typing import Any

from .errors import ConfigError

__all__ = ["REGISTRY", "register_model", "model_names", "get_model", "all_models"]

# name -> the model class, or "module:Class" to import on first use
REGISTRY: dict[str, Any] = {}


def register_model(name: str, target: Any, replace: bool = False) -> None:
    """Register a model class (or its ``"module:Class"`` path) under ``name``."""
    if name in REGISTRY and not replace:
        raise ConfigError(f"model {name!r} is already registered")
    REGISTRY[name] = target


def model_names() -> list[str]:
    """The registered model names, in registry order."""
    return list(REGISTRY)


def _load(name: str) -> Any:
    target = REGISTRY[name]
    if isinstance(target, str):
        module, _, attr = target.partition(":")
        target = getattr(importlib.import_module(module), attr)
    return target


def get_model(name: Any, **config: Any) -> Any:
    """A fresh model instance by registry name, with optional settings.

    An `EngineModel` instance passes through (with ``config`` applied, if any).
    """
    if not isinstance(name, str):
        return name.with_config(**config) if config else name
    if name not in REGISTRY:
        raise ConfigError(f"unknown model {name!r}; allowed: {', '.join(REGISTRY)}")
    return _load(name)(**config)


def all_models() -> list[Any]:
    """One default instance of every registered model."""
    return [get_model(n) for n in REGISTRY]
