"""The customer's side of Add to wallet: a short-lived signed link from the till's QR opens
a page offering the Apple pass and the Google save link."""

from fastapi import APIRouter

router = APIRouter()
