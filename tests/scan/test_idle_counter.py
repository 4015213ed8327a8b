"""An idle till: the camera watches a counter with nobody at it, 30 frames a second.

What lies still there (clutter, QR look-alikes, another merchant's card) is looked at
in steps, one repair a frame, so that no frame pays for a whole closer look; a card
being handled still gets the whole look at once. Telling the two apart rests on the
texture search's block means: the same scene under fresh sensor noise is unchanged,
a card moved by a few pixels is not, and a new scene is a change of most of the frame.
"""

import itertools
import random

import numpy as np
import pytest

from bench import qr_frames_hard as hard
from common.card_number import make_card_number
from common.qr import encode_qr, parse_qr
from desktop.scan import burst as burst_module
from desktop.scan.burst import STILL_REPAIRS, BurstReader, grey_of
from desktop.scan.crops import REPAIRS
from desktop.scan.locate import Change, textured

KEY = random.Random(1616).randbytes(32)
FOREIGN = encode_qr(make_card_number(1_000_888, 2), random.Random(77).randbytes(32))
CARD = encode_qr(make_card_number(1_000_616, 1), KEY)
EXPOSURES = 6


def ours(text: str) -> bool:
    return isinstance(parse_qr(text, KEY), str)


@pytest.fixture(scope="module")
def counters() -> list[hard.HardFrame]:
    """Four decoy counters (QR look-alike, checkerboard, barcode, another merchant's
    card), each taken ``EXPOSURES`` times with fresh noise, as an idle camera sends them."""
    shots = hard.empty_frames(8, seed=21, foreign=FOREIGN, exposures=EXPOSURES)
    return [s for i, s in enumerate(shots) if (i // EXPOSURES) % 2 == 1]  # the decoy ones


def watching(counters: list[hard.HardFrame]) -> BurstReader:
    """A reader that has been watching a bare counter: the decoy counters then come
    in as a change of scene, not as the camera's first frame."""
    reader = BurstReader(ours)
    reader.read(hard.empty_frames(1, seed=23)[0].image)
    return reader


def means_of(frame: hard.HardFrame) -> np.ndarray:
    return textured(grey_of(frame.image)).means


def test_the_same_counter_under_fresh_noise_is_unchanged_and_not_a_new_scene(counters):
    first, second = means_of(counters[0]), means_of(counters[1])
    patches = textured(grey_of(counters[1].image)).patches
    assert patches, "the decoy counter has no textured patch to judge"
    change = Change.between(second, first)
    assert all(change.unchanged(p.box) for p in patches)
    assert not change.whole_scene()


def test_a_patch_moved_by_one_pixel_has_changed(counters):
    """Each patch of the counter's second exposure carried one pixel to the right: its
    content changed, far beyond the sensor's noise (80-160 times the frame's typical
    change here; a still patch changes 2-3 times it), and the scene as a whole did not.
    Caught, planted: the noise bar raised a hundredfold (a carried card then counts as
    lying still, and loses the motion repair); lowered tenfold, the still patches of
    the test above count as changed."""
    before = means_of(counters[0])
    grey = grey_of(counters[1].image)
    patches = textured(grey).patches
    assert patches
    for patch in patches:
        x, y, w, h = patch.box
        carried = grey.copy()
        carried[y : y + h, x + 1 : x + w] = grey[y : y + h, x : x + w - 1]
        change = Change.between(textured(carried).means, before)
        assert not change.unchanged(patch.box), patch.box
        assert not change.whole_scene()


def test_another_counter_is_a_new_scene_and_the_first_frame_is_not(counters):
    """The first frame is looked at in full: a card may be held up as the camera starts."""
    assert Change.between(means_of(counters[EXPOSURES]), means_of(counters[0])).whole_scene()
    assert not Change.between(means_of(counters[0]), None).whole_scene()


def test_a_card_held_up_in_one_part_of_the_frame_is_not_a_new_scene():
    burst = hard.burst("baseline", CARD, 21, 0, FOREIGN)
    counter = hard.empty_frames(1, seed=21)[0]
    assert burst.frames[0].image.shape == counter.image.shape
    assert not Change.between(means_of(burst.frames[1]), means_of(burst.frames[0])).whole_scene()


@pytest.fixture
def looks(monkeypatch) -> list[tuple[tuple[int, int, int, int], int, int]]:
    """Every closer look the reader takes that read nothing: the region's box, the first
    repair and the one a later look would go on from (a read ends a look at once)."""
    taken: list[tuple[tuple[int, int, int, int], int, int]] = []
    look = burst_module.look_closer

    def recorded(grey, region, unsmear=True, first=0, most=0):  # type: ignore[no-untyped-def]
        closer = look(grey, region, unsmear, first, most)
        if not closer.texts:
            taken.append((region.box, first, closer.next))
        return closer

    monkeypatch.setattr(burst_module, "look_closer", recorded)
    return taken


def test_no_frame_of_an_idle_counter_pays_for_more_than_one_repair(counters, looks):
    """Caught, each planted once: a new scene's clutter looked at whole (no steps begun
    at the scene change), and a still patch's look not spread (``spread`` always
    False): the first frames of a counter then try every repair at once."""
    reader = watching(counters)
    for frame in counters:
        before = len(looks)
        assert reader.read(frame.image).codes == []
        for box, first, nxt in looks[before:]:
            assert nxt - first <= STILL_REPAIRS + 1, (box, first, nxt)  # +1: one skipped
    assert looks, "no closer look at all: the decoys were not looked at"


def test_a_look_in_steps_goes_on_where_it_stopped_and_ends(counters, looks):
    """The repairs of a still place are tried in turn over the frames, each once,
    and the place is then let be (dull) instead of looked at again at once. Caught,
    planted: the look restarted from the first repair each frame."""
    reader = watching(counters)
    for frame in counters[:EXPOSURES]:
        reader.read(frame.image)
    chain = []  # the first place's look, to its end (one place at a time: looks=1)
    for _box, first, nxt in looks:
        chain.append((first, nxt))
        if nxt == REPAIRS:
            break
    assert chain[0][0] == 0, chain
    assert chain[-1][1] == REPAIRS, chain
    assert len(chain) > 1, "the look was not spread over frames"
    for (_, stopped), (went_on, _) in itertools.pairwise(chain):
        assert went_on == stopped, chain
    assert reader.held()[2] >= 1, "no place was let be after its look"


def test_a_card_held_up_to_an_idle_counter_is_still_read():
    reader = BurstReader(ours)
    for frame in hard.empty_frames(1, seed=22, foreign=FOREIGN, exposures=EXPOSURES):
        assert reader.read(frame.image).codes == []
    burst = hard.burst("baseline", CARD, 22, 0, FOREIGN)
    reads = [reader.read(frame.image).codes for frame in burst.frames]
    assert CARD in reads[0] or CARD in reads[1]
