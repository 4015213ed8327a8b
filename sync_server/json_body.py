"""The JSON rules every request body follows, for the HTTP layer and the sync protocol
core alike: objects that refuse unknown fields, integers as JSON Schema means them,
RFC 3339 date-times with an offset. Pydantic only: no web framework here."""

from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    model_validator,
)


def _json_integer(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("an integer is a JSON number, not a boolean or a string")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("an integer has no fractional part")
        return int(value)
    return value


MAX_JSON_INT = 2**53 - 1
"""The largest integer every JSON reader holds exactly (I-JSON, RFC 7493): a bound above
it would be checked as a double by a client's validator and exactly here."""

JsonInt = Annotated[int, BeforeValidator(_json_integer)]
"""An integer as JSON Schema means it: 3 and 3.0 are integers; true, "3" and 3.5 are
not (pydantic's lax int took true and "3", its strict int refused 3.0)."""


def exactly_one(*names: str) -> dict[str, Any]:
    """OpenAPI: exactly one of these (nullable) fields is given and not null, as the
    body's validator demands; a field left out or null counts as not given."""
    return {
        "oneOf": [
            {
                "required": [name],
                "properties": {
                    other: ({"not": {"type": "null"}} if other == name else {"type": "null"})
                    for other in names
                },
            }
            for name in names
        ]
    }


def _refine(schema: dict[str, Any], model: type[Any]) -> None:
    """OpenAPI: the rules a body's validators enforce beyond its fields' types, so the
    document is the contract the server applies (see ``Strict``)."""
    for prop in schema.get("properties", {}).values():
        for branch in [prop, *prop.get("anyOf", ())]:
            _standard_bounds(branch)
    if getattr(model, "refuses_null", False):
        _without_null(schema, getattr(model, "nullable", frozenset()))
    groups: list[dict[str, Any]] = []
    for cls in reversed(model.__mro__):
        own = vars(cls).get("one_of")
        if own is not None:
            groups.extend(exactly_one(*names) for names in own)
    if len(groups) == 1:
        schema.update(groups[0])
    elif groups:
        schema["allOf"] = groups
    if getattr(model, "not_empty", False):
        schema["minProperties"] = 1


_BOUNDS = {"ge": "minimum", "le": "maximum", "gt": "exclusiveMinimum", "lt": "exclusiveMaximum"}


def _standard_bounds(schema: dict[str, Any]) -> None:
    """pydantic writes the bounds of an optional ``JsonInt`` as ``ge``/``le``, words
    JSON Schema does not know (so a client would not see them): give them their names."""
    for short, name in _BOUNDS.items():
        if short in schema:
            schema[name] = schema.pop(short)


def _without_null(schema: dict[str, Any], nullable: frozenset[str]) -> None:
    """OpenAPI: a patch field that refuses null is documented as not nullable."""
    for name, prop in schema.get("properties", {}).items():
        branches = prop.get("anyOf")
        if name in nullable or not branches:
            continue
        kept = [b for b in branches if b != {"type": "null"}]
        if len(kept) == 1:
            prop.pop("anyOf")
            prop.pop("default", None)
            prop.update(kept[0])


class Strict(BaseModel):
    """A request body: unknown fields refused. A subclass names in ``one_of`` the field
    groups of which exactly one must be given (its validator enforces it; the OpenAPI
    document says it with ``oneOf``), and sets ``not_empty`` when it needs at least
    one field."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_refine)
    one_of: ClassVar[tuple[tuple[str, ...], ...] | None] = None
    not_empty: ClassVar[bool] = False
    refuses_null: ClassVar[bool] = False


class Patch(Strict):
    """A partial update: a field left out stays as it is; null is refused, except for
    the fields in ``nullable`` (null there means: clear it, or back to the default)."""

    refuses_null = True
    nullable: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _no_null(cls, data: Any) -> Any:
        if isinstance(data, dict):
            nulls = [
                str(k)
                for k, v in data.items()
                if v is None and k in cls.model_fields and k not in cls.nullable
            ]
            if nulls:
                raise ValueError(f"{', '.join(nulls)}: null is not a value here (leave it out)")
        return data


def _iso_text(value: Any) -> Any:
    if not isinstance(value, str):
        raise ValueError("a date-time must be an ISO 8601 string")
    return value


def _in_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("a date-time must lie between years 1 and 9999 in UTC") from exc


IsoDateTime = Annotated[AwareDatetime, BeforeValidator(_iso_text), AfterValidator(_in_utc)]
"""An RFC 3339 date-time: the offset is required (a naive time means nothing to a
server whose tills sit in several time zones)."""
