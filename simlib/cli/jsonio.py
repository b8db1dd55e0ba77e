"""JSON in and out for the command line: files read defensively, output printed as strict JSON.

Input files may be UTF-8 (with or without a byte-order mark) or UTF-16/UTF-32 with a
byte-order mark; anything else, a file over `MAX_JSON_BYTES`, nesting deeper than `MAX_DEPTH`,
or the non-standard ``NaN``/``Infinity`` is refused with one line naming the file.

Output is strict JSON (RFC 8259): a number that is not finite (an undefined mean, the cost per
success when nothing succeeded) is printed as ``null``.
"""

from __future__ import annotations

import codecs
import json
import math
from typing import Any

from ..core.errors import ConfigError

__all__ = ["read_json", "dumps", "finite", "MAX_JSON_BYTES", "MAX_DEPTH"]

MAX_JSON_BYTES = 10 * 1024 * 1024
MAX_DEPTH = 100
_BOMS = (  # UTF-32 first: its little-endian mark begins with UTF-16's
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)


def _decode(data: bytes, where: str) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as e:
                raise ConfigError(f"{where} starts with a {encoding.upper()} byte-order mark but is not valid "
                                  f"{encoding.upper()} text (offset {e.start}); save it as UTF-8") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ConfigError(f"{where} is not UTF-8 text (byte 0x{data[e.start]:02x} at offset {e.start}); "
                          f"save it as UTF-8") from None
    if "\x00" in text:
        raise ConfigError(f"{where} contains NUL characters (UTF-16 without a byte-order mark?); save it as UTF-8")
    return text


def _no_constant(name: str):
    raise ConfigError(f"{name} is not a JSON number; allowed: finite numbers only")


def _depth(value: Any) -> int:
    """How deeply lists and objects nest in ``value`` (iterative: no recursion limit to hit)."""
    deepest = 0
    todo = [(value, 1)]
    while todo:
        v, d = todo.pop()
        if isinstance(v, (list, dict)):
            deepest = max(deepest, d)
            todo.extend((x, d + 1) for x in (v.values() if isinstance(v, dict) else v))
    return deepest


def read_json(path: str, what: str) -> Any:
    """Read and parse the JSON file ``path``; ``what`` names it in errors ("fault schedule")."""
    where = f"{what} {path!r}"
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_JSON_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError(f"cannot read {where}: file not found") from None
    except OSError as e:
        raise ConfigError(f"cannot read {where}: {e.strerror or e}") from None
    except ValueError as e:   # an embedded NUL in the path
        raise ConfigError(f"cannot read {where}: {e}") from None
    if len(data) > MAX_JSON_BYTES:
        raise ConfigError(f"{where} is larger than {MAX_JSON_BYTES // (1024 * 1024)} MB; allowed: up to that size")
    text = _decode(data, where)
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as e:
        raise ConfigError(f"{where} is not valid JSON: {e.msg} (line {e.lineno}, column {e.colno})") from None
    except RecursionError:
        raise ConfigError(f"{where} nests lists or objects too deeply; allowed: at most {MAX_DEPTH} levels") from None
    except ConfigError as e:
        raise ConfigError(f"{where}: {e}") from None
    except ValueError as e:   # an integer of more than 4300 digits
        raise ConfigError(f"{where} is not usable JSON: {e}") from None
    if _depth(value) > MAX_DEPTH:
        raise ConfigError(f"{where} nests lists or objects too deeply; allowed: at most {MAX_DEPTH} levels")
    return value


def finite(value: Any) -> Any:
    """``value`` with every non-finite float (NaN, +-Infinity) replaced by None, recursively."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    return value


def dumps(value: Any, **kw: Any) -> str:
    """Strict JSON text of ``value`` (non-finite numbers become null); keywords go to `json.dumps`."""
    return json.dumps(finite(value), allow_nan=False, **kw)
