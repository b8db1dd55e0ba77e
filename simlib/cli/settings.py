"""``--set NAME=VALUE``: change one field of a model's config from the command line.

A value is read by the field's declared type: ``int`` (a whole number), ``float`` (a finite
number), ``bool`` (``true``/``false``, ``yes``/``no``, ``on``/``off``, ``1``/``0``), ``str``,
``Literal[...]`` (one of its choices), and any of these ``| None`` (``none`` or ``null`` for None).
The model's own config check then runs (a negative time, an unknown mode), so every refusal is one
line naming the field, the bad value and what is allowed.

With several models (``compare``, ``sweep``), a setting goes to every model whose config has that
field and leaves the others as they are; a NAME no chosen model has is refused, since a typo would
otherwise change nothing without a word.
"""

from __future__ import annotations

import difflib
import math
import sys
import types
import typing
from dataclasses import fields
from typing import Any, Literal, Union

from ..core.errors import ConfigError
from ..core.params import parameters
from .parser import LINE_MAX

__all__ = ["SET_HELP", "parse_assignments", "setting_notes", "parse_value", "field_types", "type_name", "apply_settings"]

SET_HELP = ("change a setting of the model's config, e.g. --set start_to_close_s=5 (repeatable; "
            "`models -v MODEL` lists the settings, their types and defaults)")
_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}
_NONE = {"none", "null"}


def field_types(config_class: type) -> dict[str, Any]:
    """Field name -> the resolved type of ``config_class``'s dataclass fields, in declaration order.

    A field whose annotation cannot be resolved (a name imported only for type checkers) maps to
    `typing.Any`, which `parse_value` refuses with a message instead of a traceback.
    """
    try:
        hints = typing.get_type_hints(config_class)
    except Exception:    # one unresolvable annotation must not hide the others
        hints = {}
        for klass in reversed(config_class.__mro__):
            namespace = vars(sys.modules.get(klass.__module__, types.ModuleType("empty")))
            for name, annotation in vars(klass).get("__annotations__", {}).items():
                try:
                    hints[name] = eval(annotation, namespace) if isinstance(annotation, str) else annotation
                except Exception:
                    hints[name] = Any
    return {f.name: hints.get(f.name, Any) for f in fields(config_class)}


def _options(tp: Any) -> tuple[list[Any], bool]:
    """The non-None members of a union (or ``[tp]``) and whether None is allowed."""
    if typing.get_origin(tp) in (Union, types.UnionType):
        members = list(typing.get_args(tp))
        return [m for m in members if m is not type(None)], type(None) in members
    return [tp], False


def type_name(tp: Any) -> str:
    """A short name of a field's type for help and errors: ``float``, ``int or none``, ``one of a, b``."""
    members, optional = _options(tp)
    parts = []
    for m in members:
        if typing.get_origin(m) is Literal:
            parts.append("one of " + ", ".join(str(c) for c in typing.get_args(m)))
        else:
            parts.append(getattr(m, "__name__", str(m)))
    return " or ".join(parts + (["none"] if optional else []))


def _allowed(tp: Any) -> str:
    members, optional = _options(tp)
    words = {int: "a whole number", float: "a finite number", bool: "true or false", str: "any text"}
    parts = []
    for m in members:
        if typing.get_origin(m) is Literal:
            parts.append(", ".join(str(c) for c in typing.get_args(m)))
        else:
            parts.append(words.get(m, getattr(m, "__name__", str(m))))
    return " or ".join(parts + (["none"] if optional else []))


def _one(tp: Any, text: str) -> Any:
    """``text`` as a value of the single type ``tp``; ValueError when it is not one."""
    if typing.get_origin(tp) is Literal:
        for choice in typing.get_args(tp):
            if str(choice) == text:
                return choice
        raise ValueError(text)
    if tp is bool:
        low = text.strip().lower()
        if low in _TRUE or low in _FALSE:
            return low in _TRUE
        raise ValueError(text)
    if tp is int:
        value = int(text.strip())       # int() refuses "1.5" and "1e3": a whole number only
        return value
    if tp is float:
        number = float(text)
        if not math.isfinite(number):
            raise ValueError(text)
        return number
    if tp is str:
        return text
    raise TypeError(tp)


def parse_value(model: str, name: str, tp: Any, text: str) -> Any:
    """``text`` read as a value of ``model``'s setting ``name`` of type ``tp``.

    Raises:
        ConfigError: naming the setting, the value and what its type allows.
    """
    members, optional = _options(tp)
    if optional and text.strip().lower() in _NONE:
        return None
    for m in members:
        try:
            return _one(m, text)
        except ValueError:
            continue
        except TypeError:
            raise ConfigError(f"{model} setting {name} has type {tp!r}, which --set cannot write") from None
    raise ConfigError(f"bad value {text!r} for {model} setting {name} ({type_name(tp)}); "
                      f"allowed: {_allowed(tp)}")


def parse_assignments(items: list[str] | None) -> dict[str, str]:
    """``["a=1", "b=x"]`` -> ``{"a": "1", "b": "x"}``.

    Raises:
        ConfigError: for an item without ``=``, or a NAME given twice with different values
            (which one was meant is a guess we do not make).
    """
    out: dict[str, str] = {}
    for item in items or ():
        name, eq, value = item.partition("=")
        name = name.strip()
        if not eq or not name:
            raise ConfigError(f"malformed --set {item!r}; expected NAME=VALUE, e.g. --set start_to_close_s=5")
        if name in out and out[name] != value:
            raise ConfigError(f"setting {name} given twice (--set {name}={out[name]} and --set {name}={value}); "
                              f"allowed: one value per setting")
        out[name] = value
    return out


def _choice(model: str, name: str, choices: tuple[str, ...] | None, text: str, value: Any) -> Any:
    """``value`` when ``choices`` is None or holds it; else the refusal naming the choices."""
    if choices is None or value in choices:
        return value
    raise ConfigError(f"bad value {text!r} for {model} setting {name}; allowed: {', '.join(choices)}")


def _rephrased(model, config_class: type, error: ConfigError) -> ConfigError:
    """A config check's refusal in ``--set``'s words: ``temporal setting start_to_close_s must be > 0 ...``."""
    text = str(error)
    prefix = f"{config_class.__name__}."
    if prefix in text:
        return ConfigError(text.replace(prefix, f"{model.name} setting ", 1))
    return ConfigError(f"{model.name} settings: {text}")


def _unknown(name: str, models: list, known: list[str]) -> ConfigError:
    """The refusal of a NAME no chosen model has: close matches first, then as many names as fit one line."""
    which = (models[0].name if len(models) == 1 else ", ".join(m.name for m in models) if len(models) <= 3
             else f"any of the {len(models)} models")
    shown = name if len(name) <= 40 else name[:37] + "..."
    near = difflib.get_close_matches(name, known, n=2, cutoff=0.6) if len(name) <= 64 else []
    head = f"unknown setting {shown!r} for {which}; " + (f"did you mean {' or '.join(near)}? " if near else "")
    listed = ", ".join(known)
    budget = LINE_MAX - len("error: allowed: ") - len(head)
    if len(listed) > budget:
        more = ", ... (all: python -m simlib models -v" + (f" {models[0].name})" if len(models) == 1 else ")")
        listed = listed[:max(0, budget - len(more))].rpartition(", ")[0] + more
    return ConfigError(f"{head}allowed: {listed}")


def apply_settings(models: list, items: list[str] | None) -> tuple[list, dict[str, dict[str, Any]]]:
    """The models with the ``--set`` items applied, and model name -> the settings it took.

    Each setting goes to every model whose config has the field; a NAME that no model has, a
    value its type refuses, or a value the model's config check refuses raises `ConfigError`.
    """
    wanted = parse_assignments(items)
    typed = [field_types(m.config_class) for m in models]
    known = list(dict.fromkeys(n for t in typed for n in t))
    for name in wanted:
        if name not in known:
            raise _unknown(name, models, known)
    out, applied = [], {}
    for model, types_ in zip(models, typed):
        choices = {p.name: p.choices for p in parameters(model.config_class)}
        changes = {n: _choice(model.name, n, choices.get(n), v, parse_value(model.name, n, types_[n], v))
                   for n, v in wanted.items() if n in types_}
        applied[model.name] = changes
        try:
            out.append(model.with_config(**changes) if changes else model)
        except ConfigError as e:
            raise _rephrased(model, model.config_class, e) from None
    return out, applied


def setting_notes(models: list, applied: dict[str, dict[str, Any]]) -> list[str]:
    """``note: ...`` lines for settings that were accepted but change nothing in these runs (see ``notes``)."""
    return [f"note: {m.name}: {line}" for m in models if applied.get(m.name)
            for line in m.config.notes(set(applied[m.name]))]
