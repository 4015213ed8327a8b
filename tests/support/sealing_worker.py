"""A till process for the sealing crash test: it encrypts a clear database in place
(the key from $SEALING_KEY), saying "sealing" just before and the seconds it took after,
unless it is killed first."""

import os
import sys
import time
from pathlib import Path

from desktop.engine import cache_cipher
from desktop.engine.cache_key import CacheKey
from desktop.engine.tokens import MemoryTokens


def main() -> None:
    key = CacheKey(bytes.fromhex(os.environ["SEALING_KEY"]), MemoryTokens())
    print("sealing", flush=True)
    started = time.perf_counter()
    cache_cipher.seal_plain(Path(sys.argv[1]), key)
    print(f"{time.perf_counter() - started:.3f}", flush=True)


if __name__ == "__main__":
    main()
