"""Card numbers: 16 digits = issuing node (7) + serial (8) + Luhn check digit.

The server issues from SERVER_NODE; every paired terminal gets its own node number
(``terminal_node``), so two offline terminals can never allocate the same number.
"""

import re

NODE_DIGITS = 7
SERIAL_DIGITS = 8
LENGTH = NODE_DIGITS + SERIAL_DIGITS + 1
MAX_NODE = 10**NODE_DIGITS - 1
MAX_SERIAL = 10**SERIAL_DIGITS - 1

# Nodes start at 1,000,000 so a printed number never opens with a run of zeros.
SERVER_NODE = 1_000_000

_SEPARATORS = re.compile(r"[\s-]")


def terminal_node(terminal_id: int) -> int:
    return SERVER_NODE + terminal_id


def luhn_check_digit(digits: str) -> int:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return (10 - total % 10) % 10


def make_card_number(node: int, serial: int) -> str:
    if not 0 <= node <= MAX_NODE:
        raise ValueError(f"node out of range: {node}")
    if not 0 <= serial <= MAX_SERIAL:
        raise ValueError(f"serial out of range: {serial}")
    body = f"{node:0{NODE_DIGITS}d}{serial:0{SERIAL_DIGITS}d}"
    return body + str(luhn_check_digit(body))


def normalize(text: str) -> str:
    """Drop the spaces and dashes people type or print between digit groups."""
    return _SEPARATORS.sub("", text.strip())


def is_valid_card_number(text: str) -> bool:
    number = normalize(text)
    return (
        len(number) == LENGTH
        and number.isascii()
        and number.isdigit()
        and luhn_check_digit(number[:-1]) == int(number[-1])
    )


def node_of(card_number: str) -> int:
    return int(normalize(card_number)[:NODE_DIGITS])


def display(card_number: str) -> str:
    number = normalize(card_number)
    return " ".join(number[i : i + 4] for i in range(0, len(number), 4))
