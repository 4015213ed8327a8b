"""The real cost of password and PIN hashing, checked in a fresh interpreter: the test
process hashes at argon2id's lowest cost (tests/conftest.py), so this is where a change
of the shipped parameters shows."""

import subprocess
import sys

SCRIPT = """
from common.pins import hash_pin
from sync_server.auth.passwords import hash_password
print(hash_password("pw-owner"))
print(hash_pin("2468"))
"""


def test_passwords_and_pins_are_hashed_at_their_documented_cost():
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True, timeout=60
    )
    password, pin = done.stdout.split()

    assert password.startswith("$argon2id$v=19$m=65536,t=3,p=4$")  # argon2-cffi's defaults
    assert pin.startswith("$argon2id$v=19$m=19456,t=2,p=1$")  # OWASP's floor (common/pins.py)
