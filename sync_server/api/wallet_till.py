"""The till's wallet link for a card (device-token auth, online only): the URL its Add to
wallet QR carries."""

from fastapi import APIRouter

router = APIRouter()
