"""JSON every database stores, made from whatever a client sent.

A pushed op's body is kept even when it is refused (staff see what was refused and
why), but PostgreSQL's json type refuses NaN/Infinity tokens and lone surrogates, and
its text refuses NUL. Those values are kept as readable escapes instead ("nan",
"a\\u0000b"), and nesting is cut at a depth no real op reaches."""

import json
import math
from typing import Any

from common.text import is_plain_text

MAX_DEPTH = 16
_INT_LIMIT = 2**63


def storable(value: Any, depth: int = 0) -> Any:
    if depth > MAX_DEPTH:
        return "…"
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value if -_INT_LIMIT < value < _INT_LIMIT else str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, dict):
        return {safe_text(str(k)): storable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [storable(v, depth + 1) for v in value]
    return safe_text(str(value))


def safe_text(value: str, limit: int | None = None) -> str:
    """The text itself when it can be stored, else its JSON escape (ASCII only)."""
    text = value if is_plain_text(value) else json.dumps(value)[1:-1]
    return text if limit is None else text[:limit]
