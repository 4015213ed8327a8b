"""The QR section of docs/benchmarks.md: the hard set per category, single frames and
bursts against plain zxing-cpp, the empty-frame cost, memory over a stream, and what
was tried on the way (kept here, so the generated page keeps saying it)."""

# Measured on this machine with the reader as it was at commit 022739f (load ~2.6),
# 24 bursts a category, before the glare work: the "before" of the empty frame and glare.
BEFORE = (
    "Before (the reader of commit 022739f, same set, load 2.6): glare bursts read 14 of 24 "
    "(0.583), small 23 of 24; empty 720p frame p50 / p95 3.16 / 16.76 ms against "
    "zxing-cpp's 3.89 / 4.99 ms (each counter then shown 5 times as the same bytes)."
)

TRIED = [
    "Following a located code forward only (ECC from frame to frame): glare 18 of 24. "
    "Glare hides a finder pattern until it is mid-card, so the code is first located "
    "mid-burst; the views of the first half were missing, and 12 kept views could not "
    "cover the glare's sweep. Looking back through the last frames' patches and keeping "
    "30 views did.",
    "Fusing views cut at the detector's or the follower's corners as they are: their "
    "modules disagreed with the truth 7-12 % of the time against 2-4 % at the true "
    "corners (corners off by up to 0.8 module); snapping each view onto the QR skeleton "
    "was needed.",
    "Counting every clipped pixel as lost: a well-lit card's light modules clip too, so "
    "up to 70 % of a view was thrown away and its skeleton no longer matched; only "
    "clipped patches wider than a module and a half count as glare now.",
    "A homography for each alignment (ECC, 30 iterations): 2.9 ms each; an affine warp "
    "from the corners found gives the same correlation in 0.7-1.4 ms.",
    "Skipping looks at places whose 8x8 thumbnail had not changed, by a fixed number of "
    "grey levels: the sensor noise and colour cast between two exposures of an unchanged "
    "counter differ more (p95 13 grey levels) than two frames of a moving card (median "
    "7-10). Measured against the frame's own typical change instead (the median over "
    "all blocks, the brightness evened out), a still patch changes 2-3 times that and a "
    "patch carried one pixel 60-90 times: that is what now tells a still patch.",
    "For the empty frame: sampling every other pixel both ways in the texture search "
    "(0.5 ms) lost glare bursts 11 and 15; every other row (0.8 ms) lost none of seed "
    "15's but one each of seeds 115 and 315 (bursts 3 and 7) that full sampling reads "
    "(1.0 ms, block sums off an integral image and squares through a 16-bit lookup "
    "table, instead of 2.7 ms in floating point). Taking the "
    "frame's typical contrast from a quarter of the blocks instead of half lost seed "
    "15's glare burst 15, read at frame 28 of 30: glare bursts read that late turn on "
    "any change of the texture search, so it keeps its measure. Trying "
    "inverted codes only on the crop as it is, not on its repairs, lost moire burst 7 "
    "(a dark-mode phone). Looking in steps at every patch that lies still or was not "
    "there in the frame before lost glare bursts 11 and 23, both read late in the burst "
    "(frames 25 and 26): a glared card held nearly still, or split by the glare into "
    "new patches, was fused less often; so was fusing a located symbol's view first and "
    "repairing after. Only a whole new scene, and content that lies still within the "
    "sensor's noise, are now looked at in steps.",
    "Judging the timing lines beside the glare: washed-out modules (bright, not clipped) "
    "read all light and failed real codes; modules too close to their surroundings' "
    "level are no longer judged.",
    "Dropping one of the four repairs of a closer look to save time: each reads frames "
    "of some category (moire: the crop as it is, and the smoothed-then-sharpened copy; "
    "small: enlarged and sharpened; defocus: all four).",
    "A code no detector finds in any frame (motion burst 14: blur of 2-3 modules along "
    "the whole burst) is now read by undoing the smear on the texture patch's crop "
    "(desktop/scan/deblur.py: direction from the structure tensor, length from the "
    "directional derivative's autocorrelation, Wiener, then a light blur): 16 of its 30 "
    "frames read alone. Wiener without the light blur read 1 of 30 (the noise it "
    "amplifies breaks zxing's binarizer); trying 6 lengths instead of measuring one cost "
    "40-780 ms a frame. Run on every closer look it cost empty counters too (94 of 300 "
    "frames measured a smear, 26 undid one, each 5-15 ms): it runs only on a patch that "
    "moved since the frame before (14 and 2 of 300).",
    "Not built: fitting the QR skeleton to the texture patch of a code no detector "
    "finds (4 orientations x 4 sizes of ECC per patch); the unsmearing made it "
    "unneeded on this set.",
]

# The empty-frame cost before this session's work on it (18:00 run), and what it became.
EMPTY_NOTE = (
    "These costs are the reading thread's CPU time with OpenCV on that thread. Before "
    "(2026-11-30 18:00, load 6-7) the stream reader's p95 was 18.65 ms against "
    "zxing-cpp's 11.2; on this session's machine the same reader measured 11.7-13.8 ms "
    "against 7.1-7.3. Since then: the texture search sums its blocks off an integral "
    "image and squares them through a 16-bit lookup table (1.0 against 2.7 ms a frame, "
    "the same numbers); the closer look no longer "
    "measures an unused sharpness (0.7 ms a look); and what lies still (the frame's "
    "block means change no more than the sensor's noise under it) or came into view "
    "with a new scene is looked at in steps, one repair a frame and no fusion, while a "
    "card being handled keeps the whole look at once. The recorded run of 2026-11-30 "
    "(load 3-4.5, its blocks summed through two lookup tables) gave 10.18 ms against "
    "zxing-cpp's 7.2; on 2026-12-01's quiet machine, three loops of the same 240 frames "
    "gave p95 6.83-7.16 ms before the integral image and 6.60-6.79 after, against "
    "zxing-cpp's 5.96-6.12 in the same loops."
)

# Measured with bench/qr_burst's stream on seed-varied draws of the motion category (not
# part of the bench run): before = the reader without the unsmearing, wall-clock stream at
# load 6-15; after = this reader, stream in CPU time (process_time at the time).
MOTION_DRAWS = (
    "Seed-varied draws of the motion category, 50 bursts each, before the unsmearing "
    "(wall-clock stream, load 6-15) and after (the reader of this run): seed 115 50 of 50 "
    "before and after (the after run with the smear's length 1 px long, since fixed); "
    "seed 215 48 of 50 before (48 of 49 readable), 50 of 50 after (49 of 49); seed 315 "
    "49 of 50 before (49 of 49 readable), 50 of 50 after (49 of 49); 0 false reads in all."
)


def markdown_table(results: dict[str, object]) -> list[str]:
    """The section's lines (none if the part did not run)."""
    categories = str(results.get("qr_hard_categories") or "")
    if not categories:
        return []

    def get(key: str) -> object:
        return results.get(key)

    lines = [
        "",
        "## Reading cards on the hard set (bench/qr_frames_hard.py)",
        "",
        "Single frames and 30-frame bursts (30 fps, frames missed while busy, the reader's",
        "time counted in CPU time: the machine is shared) per category:",
        "the till's reader vs plain zxing-cpp in the same run. *Readable*: bursts whose",
        "views, aligned with the true corners, read fused or alone; the target counts those.",
        "*Located*: of those, bursts where the reader found the code's corners at all.",
        "",
        "| category | single: till | single: zxing | bursts | readable | located "
        "| burst: till | burst: zxing | read of readable | time to read p95: till / zxing (ms) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for c in categories.split(","):
        lines.append(
            f"| {c} | {get(f'qr_hard_{c}_single_rate')} | {get(f'qr_zxing_hard_{c}_single_rate')} "
            f"| {get(f'qr_hard_{c}_bursts')} | {get(f'qr_hard_{c}_readable')} "
            f"| {get(f'qr_hard_{c}_located_when_readable')} "
            f"| {get(f'qr_hard_{c}_burst_rate')} | {get(f'qr_zxing_hard_{c}_burst_rate')} "
            f"| {get(f'qr_hard_{c}_read_when_readable')} "
            f"| {get(f'qr_hard_{c}_ttr_p95_ms')} / {get(f'qr_zxing_hard_{c}_ttr_p95_ms')} |"
        )
    lines += [
        "",
        f"All categories: single frames {get('qr_decode_rate_hard')} (zxing-cpp "
        f"{get('qr_zxing_decode_rate_hard')}), bursts {get('qr_burst_read_rate')} (zxing-cpp "
        f"{get('qr_zxing_burst_read_rate')}), time to read p95 "
        f"{get('qr_burst_time_to_read_ms_p95')} ms (zxing-cpp "
        f"{get('qr_zxing_burst_time_to_read_ms_p95')} ms). False reads: till "
        f"{get('qr_hard_false_reads')}, zxing-cpp {get('qr_zxing_hard_false_reads')} over all "
        f"burst frames; {get('qr_empty_false_reads')} over {get('qr_empty_frames')} empty "
        "frames.",
        "",
        "Empty 720p counters (each taken 5 frames in a row, fresh noise each): p50 / p95 till "
        f"{get('qr_empty_frame_p50_ms_720p_stream')} / {get('qr_empty_frame_p95_ms_720p')} ms, "
        f"zxing-cpp {get('qr_zxing_empty_frame_p50_ms_720p_stream')} / "
        f"{get('qr_zxing_empty_frame_p95_ms_720p')} ms; the first frame of each counter alone, "
        f"p95 till {get('qr_empty_first_frame_p95_ms_720p')} ms, zxing-cpp "
        f"{get('qr_zxing_empty_first_frame_p95_ms_720p')} ms. {BEFORE} {EMPTY_NOTE}",
        "",
        f"Memory: {get('qr_stream_frames')} frames (an hour is 108,000) through the camera "
        "worker and the stream reader (bench/qr_memory.py), resident "
        f"{get('qr_stream_rss_start_mb')} MB after warm-up, {get('qr_stream_rss_end_mb')} MB "
        f"at the end ({get('qr_stream_rss_growth_mb')} MB), {get('qr_stream_ms_per_frame')} ms "
        "a frame"
        + (f", measured {get('qr_stream_measured')}." if get("qr_stream_measured") else "."),
        "",
        MOTION_DRAWS,
        "",
        "What was tried and did not help:",
        "",
        *[f"- {item}" for item in TRIED],
    ]
    return lines
