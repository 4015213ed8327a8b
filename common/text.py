"""Text every store can hold and every screen can show.

PostgreSQL text cannot hold NUL, and the other C0 control characters (escape
sequences, backspace, bell) have no business in a name, a note or an order reference:
they are refused, with tab and line breaks kept. Lone surrogates never get this far:
pydantic refuses a string that is not valid Unicode. The pattern is in the OpenAPI
document too, so a generated client knows the rule."""

import re
from typing import Annotated

from pydantic import StringConstraints

TEXT_PATTERN = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F]*$"
_CONTROL = re.compile(r"[\x00-\x08\x0B\x0C\x0E-\x1F\x7F]")

PlainText = Annotated[str, StringConstraints(pattern=TEXT_PATTERN)]


def is_plain_text(value: str) -> bool:
    """True for text without control characters and without lone surrogates."""
    if _CONTROL.search(value):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
