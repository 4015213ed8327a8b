"""Bodies of the probes."""

from typing import Literal

from pydantic import BaseModel, Field


class Health(BaseModel):
    status: Literal["ok"]
    version: str = Field(description="The server's release (CHANGELOG.md), e.g. 0.2.0")
    protocol_oldest: int = Field(description="Oldest sync protocol version served")
    protocol_newest: int = Field(description="Newest sync protocol version served")
