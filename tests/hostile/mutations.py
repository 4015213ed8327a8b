"""One hostile change to a valid request: a body field, a query value or a path id
replaced, a key dropped, added or repeated, or the whole body swapped."""

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from hypothesis import strategies as st

from tests.hostile.values import (
    DuplicateKeys,
    forged_cursor,
    hostile_query_value,
    hostile_value,
    to_json,
)

Path = tuple[str | int, ...]


@dataclass
class Request:
    method: str
    url: str
    content: str | None
    what: str  # the mutation, for the failure message

    def send(self, client: Any, headers: dict[str, str]) -> Any:
        extra = {"Content-Type": "application/json"} if self.content is not None else {}
        return client.request(
            self.method,
            self.url,
            content=self.content.encode("utf-8", "surrogatepass") if self.content else None,
            headers={**headers, **extra},
        )


def paths(value: Any, prefix: Path = ()) -> list[Path]:
    """Every position inside a JSON value, the value itself first."""
    found: list[Path] = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths(item, (*prefix, index))
    return found


def replaced(value: Any, path: Path, new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: replaced(value[head], rest, new)}
    copy = list(value)
    copy[head] = replaced(copy[head], rest, new)  # type: ignore[index]
    return copy


def dropped(value: Any, path: Path) -> Any:
    parent_path, key = path[:-1], path[-1]
    parent = _at(value, parent_path)
    if isinstance(parent, dict):
        return replaced(value, parent_path, {k: v for k, v in parent.items() if k != key})
    return replaced(value, parent_path, [v for i, v in enumerate(parent) if i != key])


def _at(value: Any, path: Path) -> Any:
    for step in path:
        value = value[step]
    return value


def query_text(query: dict[str, Any]) -> str:
    """A query string as raw bytes on the wire: lone surrogates become invalid UTF-8."""
    parts = [
        f"{quote(str(k))}={quote(str(v).encode('utf-8', 'surrogatepass'), safe='')}"
        for k, v in query.items()
    ]
    return "&".join(parts)


@st.composite
def body_mutation(draw: st.DrawFn, body: Any) -> tuple[Any, str]:
    spots = paths(body)
    path = draw(st.sampled_from(spots))
    kind = draw(st.sampled_from(["replace", "replace", "replace", "drop", "add", "repeat"]))
    if kind == "drop" and path:
        return dropped(body, path), f"drop {path}"
    target = _at(body, path)
    if kind == "add" and isinstance(target, dict):
        new = draw(hostile_value())
        return replaced(body, path, {**target, "zz_unknown": new}), f"add key at {path}"
    if kind == "repeat" and isinstance(target, dict) and target:
        key = draw(st.sampled_from(sorted(target, key=str)))
        new = draw(hostile_value())
        pairs = (*target.items(), (key, new))
        return replaced(body, path, DuplicateKeys(tuple(pairs))), f"repeat {key!r} at {path}"
    new = draw(hostile_value())
    return replaced(body, path, new), f"replace {path} with {new!r:.80}"


@st.composite
def query_mutation(draw: st.DrawFn, query: dict[str, Any]) -> tuple[dict[str, Any], str]:
    if not query or draw(st.booleans()):
        key = draw(st.sampled_from([*query, "zz_unknown"]) if query else st.just("zz_unknown"))
    else:
        key = draw(st.sampled_from(sorted(query)))
    hostile = hostile_query_value()
    value = draw(st.one_of(hostile, forged_cursor()) if key == "cursor" else hostile)
    return {**query, key: value}, f"query {key}={value!r:.80}"


def path_values() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(["0", "-7", "2147483648", "9223372036854775808", "1e3", "%00", "x"]),
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
    )


def render(
    method: str, path: str, path_id: Any, query: dict[str, Any] | None, body: Any, what: str
) -> Request:
    url = path.replace("{id}", str(path_id)) if "{id}" in path else path
    if query:
        url = f"{url}?{query_text(query)}"
    content = None if body is None else to_json(body)
    return Request(method, url, content, what)


def leaves(value: Any, prefix: Path = ()) -> list[Path]:
    """Positions of the scalars inside a JSON value (what a client fills in)."""
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in leaves(item, (*prefix, key))]
    if isinstance(value, list):
        return [p for index, item in enumerate(value) for p in leaves(item, (*prefix, index))]
    return [prefix]
