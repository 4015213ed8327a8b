"""The three edges to Apple and Google, as small protocols: production implementations
talk to the platforms, local fakes stand in for them in tests and the demo."""

from collections.abc import Mapping
from typing import Any, Protocol


class PassSigner(Protocol):
    """Signs a pass's manifest.json with the merchant's pass certificate."""

    @property
    def pass_type_identifier(self) -> str: ...

    @property
    def team_identifier(self) -> str: ...

    def sign(self, manifest: bytes) -> bytes:
        """A detached PKCS#7 (CMS) signature, DER, with the WWDR intermediate and
        signingTime included."""
        ...


class ApnsSender(Protocol):
    """Sends Apple's empty pass-update push to one device."""

    def send_empty(self, push_token: str, topic: str) -> int:
        """The HTTP status APNs answered (200 sent, 410 the device left); raises
        OSError when APNs could not be reached (the push stays owed)."""
        ...


class GoogleWalletClient(Protocol):
    """The Google Wallet REST API (walletobjects v1), loyalty class and object only."""

    def upsert_class(self, class_id: str, body: Mapping[str, Any]) -> None: ...

    def create_object(self, object_id: str, body: Mapping[str, Any]) -> None:
        """Creates the object; an object that already exists is not an error."""
        ...

    def patch_object(self, object_id: str, body: Mapping[str, Any]) -> None: ...
