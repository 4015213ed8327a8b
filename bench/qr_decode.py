"""QR decoders raced on the same generated 1280x720 frames: an easy set (square-on,
well lit), a hard set (small, rotated or tilted codes, each spoiled by motion or focus
blur, low contrast, noise, dim or blown-out light, or glare) and frames with no code.

For each decoder: how many frames it reads back to the exact payload, and the
per-frame decode time p50/p95 (ms of the thread's CPU time, OpenCV on one thread, as
bench/qr_burst: the machine is shared). The measured choice is the decoder that reads the
most hard frames among those whose p95 over all frames fits one 30 fps frame (33 ms);
ties go to the faster. It is printed beside ``best_decoder()``, the one the camera uses.

The hard set of bursts (bench/qr_frames_hard.py) follows, through bench/qr_burst.py:
the till's stream reader against plain zxing-cpp, single frames and bursts per category.

``python -m bench.qr_decode [--frames N] [--bursts N]``; the last line is one JSON object.
"""

import argparse
import json
import random
import time
from dataclasses import dataclass, field

from common.card_number import make_card_number
from common.qr import encode_qr
from desktop.scan import frames
from desktop.scan.decoders import Decoder, all_decoders, best_decoder

FRAME_BUDGET_MS = 1000 / 30
SETS = ("easy", "hard", "empty")


@dataclass
class Tally:
    read: int = 0
    frames: int = 0
    ms: list[float] = field(default_factory=list)


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _frame_sets(n: int, seed: int) -> dict[str, list[frames.Frame]]:
    key = random.Random(seed).randbytes(32)
    payloads = [encode_qr(make_card_number(1_000_777, seed * 10_000 + i), key) for i in range(n)]
    return {
        "easy": frames.easy_frames(payloads, seed=seed),
        "hard": frames.hard_frames(payloads, seed=seed + 1),
        "empty": frames.empty_frames(max(1, n // 3), seed=seed + 2),
    }


def _measure(decoder: Decoder, sets: dict[str, list[frames.Frame]]) -> dict[str, Tally]:
    import cv2

    cv2.setNumThreads(1)  # the thread's CPU time is then all of a decode's work
    decoder.decode(sets["easy"][0].image)  # first-call set-up is not a frame's cost
    tallies = {name: Tally() for name in SETS}
    for name, frame_set in sets.items():
        tally = tallies[name]
        for frame in frame_set:
            start = time.thread_time()  # its own CPU time: the machine is shared
            texts = decoder.decode(frame.image)
            tally.ms.append((time.thread_time() - start) * 1000)
            tally.frames += 1
            # a read is the exact payload; on an empty frame, correctly finding nothing
            tally.read += texts == [] if frame.payload is None else frame.payload in texts
    return tallies


def _choose(results: dict[str, dict[str, Tally]]) -> str:
    def all_ms(name: str) -> list[float]:
        return [ms for tally in results[name].values() for ms in tally.ms]

    fitting = [n for n in results if _percentile(all_ms(n), 0.95) <= FRAME_BUDGET_MS]
    candidates = fitting or list(results)
    return min(candidates, key=lambda n: (-results[n]["hard"].read, _percentile(all_ms(n), 0.95)))


def _key(decoder_name: str) -> str:
    return decoder_name.replace("-", "_").replace("+", "_")


def _figures(results: dict[str, dict[str, Tally]], n: int) -> dict[str, float | str]:
    chosen = best_decoder().name
    figures: dict[str, float | str] = {
        "qr_frames_per_set": n,
        "qr_chosen_decoder": chosen,
        "qr_measured_best_decoder": _choose(results),
    }
    for name, tallies in results.items():
        for set_name, tally in tallies.items():
            prefix = f"qr_{_key(name)}_{set_name}"
            figures[f"{prefix}_read_rate"] = round(tally.read / tally.frames, 3)
            figures[f"{prefix}_p50_ms"] = round(_percentile(tally.ms, 0.5), 2)
            figures[f"{prefix}_p95_ms"] = round(_percentile(tally.ms, 0.95), 2)
    return figures


def run(n: int, hard_bursts: int = 0) -> dict[str, object]:
    """Figures for ``n`` easy and ``n`` hard frames (and n/3 without a code); with
    ``hard_bursts``, also the stream reader against plain zxing-cpp on that many
    30-frame bursts per category of the hard set (bench/qr_burst.py): the keys
    ``qr_decode_rate_hard``, ``qr_burst_read_rate``, ``qr_burst_time_to_read_ms_p95``,
    ``qr_empty_frame_p95_ms_720p``, each beside ``qr_zxing_…``."""
    sets = _frame_sets(n, seed=5)
    results = {decoder.name: _measure(decoder, sets) for decoder in all_decoders()}
    _print_table(results)
    figures: dict[str, object] = dict(_figures(results, n))
    if hard_bursts:
        from bench import qr_burst, qr_report

        hard = qr_burst.run(hard_bursts, empty=max(6, hard_bursts * 2))
        print("\n".join(qr_report.markdown_table(hard)))
        figures.update(hard)
    return figures


def _print_table(results: dict[str, dict[str, Tally]]) -> None:
    header = f"{'decoder':<20}" + "".join(f"{s + ' read':>12}{'p50':>8}{'p95':>8}" for s in SETS)
    print(header)
    for name, tallies in results.items():
        row = f"{name:<20}"
        for set_name in SETS:
            tally = tallies[set_name]
            row += f"{f'{tally.read}/{tally.frames}':>12}"
            row += f"{_percentile(tally.ms, 0.5):>8.1f}{_percentile(tally.ms, 0.95):>8.1f}"
        print(row)
    print(f"measured choice: {_choose(results)}; the camera uses: {best_decoder().name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--frames", type=int, default=63, help="frames in each of the sets")
    parser.add_argument("--bursts", type=int, default=24, help="hard bursts per category (0: none)")
    args = parser.parse_args()
    print(json.dumps(run(args.frames, args.bursts)))


if __name__ == "__main__":
    main()
