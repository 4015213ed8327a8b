"""Bodies of the probes."""

from typing import Literal

from pydantic import BaseModel, Field


class Health(BaseModel):
    status: Literal["ok"]
    version: str = Field(description="The server's release (CHANGELOG.md), e.g. 0.2.0")
