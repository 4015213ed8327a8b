"""Apple Wallet's pass web service (webServiceURL): devices register, list updated serials,
fetch the latest pass, send logs. Auth: ApplePass <token> per pass."""

from fastapi import APIRouter

router = APIRouter()
