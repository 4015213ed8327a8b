"""QR decoders behind one small protocol, so the benchmark can race them on the same
frames and the camera worker can use whichever won.

A decoder object is not shared between threads: the worker makes its own.
"""

from typing import Protocol

import cv2
import numpy as np
import zxingcpp
from numpy.typing import NDArray

from desktop.scan.burst import BurstReader

Image = NDArray[np.uint8]


class Decoder(Protocol):
    """Finds the QR codes in one BGR frame and returns their texts (none: [])."""

    name: str

    def decode(self, frame_bgr: Image) -> list[str]: ...


def _grey(frame_bgr: Image) -> Image:
    if frame_bgr.ndim == 2:
        return frame_bgr
    return np.asarray(cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2GRAY), dtype=np.uint8)


class ZxingDecoder:
    """zxing-cpp, restricted to QR codes; it binarizes locally, tries rotations,
    inverted codes and downscaled copies itself."""

    name = "zxing-cpp"

    def __init__(self) -> None:
        self._formats = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)

    def decode(self, frame_bgr: Image) -> list[str]:
        found = zxingcpp.read_barcodes(_grey(frame_bgr), formats=self._formats)
        return [code.text for code in found if code.text]


class ZxingSharpenDecoder:
    """zxing-cpp, and on a miss a second pass over an unsharp-masked copy.

    The second pass restores module edges softened by defocus or motion: on the
    benchmark's hard frames it reads most of what plain zxing-cpp misses, and it only
    costs time on frames where the first pass found nothing."""

    name = "zxing-cpp+sharpen"

    def __init__(self, sigma: float = 1.5, amount: float = 2.0) -> None:
        self._formats = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
        self._sigma = sigma
        self._amount = amount

    def decode(self, frame_bgr: Image) -> list[str]:
        grey = _grey(frame_bgr)
        found = zxingcpp.read_barcodes(grey, formats=self._formats)
        if not found:
            blurred = cv2.GaussianBlur(grey, (0, 0), self._sigma)
            sharp = cv2.addWeighted(grey, 1 + self._amount, blurred, -self._amount, 0)
            found = zxingcpp.read_barcodes(
                sharp, formats=self._formats, try_rotate=False, try_invert=False
            )
        return [code.text for code in found if code.text]


class OpenCvDecoder:
    """OpenCV's classic ``QRCodeDetector`` (contour-based finder-pattern search)."""

    name = "opencv-qr"

    def __init__(self) -> None:
        self._detector = cv2.QRCodeDetector()

    def decode(self, frame_bgr: Image) -> list[str]:
        text, _points, _straight = self._detector.detectAndDecode(_grey(frame_bgr))
        return [text] if text else []


class OpenCvArucoDecoder:
    """OpenCV's ``QRCodeDetectorAruco`` (finder patterns found as ArUco-like markers)."""

    name = "opencv-qr-aruco"

    def __init__(self) -> None:
        self._detector = cv2.QRCodeDetectorAruco()

    def decode(self, frame_bgr: Image) -> list[str]:
        text, _points, _straight = self._detector.detectAndDecode(_grey(frame_bgr))
        return [text] if text else []


class TillDecoder:
    """The till's pipeline on one frame: zxing-cpp over the frame, then a closer look
    (crop, enlarge, sharpen or smooth) only where a code was located, and the aligned
    view of a located code (``desktop.scan.burst`` with a memory of one frame).

    Frames without a code pay zxing's pass and a texture search in 4x4-pixel blocks,
    not the old sharpened retry over the whole frame."""

    name = "till"

    def __init__(self) -> None:
        self._reader = BurstReader(memory=1, looks=4)  # one frame: every region at once

    def decode(self, frame_bgr: Image) -> list[str]:
        self._reader.forget()  # one frame: nothing carried over from the last
        return self._reader.read(frame_bgr).texts


def all_decoders() -> list[Decoder]:
    """Every candidate, fresh, in the order the benchmark reports them."""
    return [
        TillDecoder(),
        ZxingDecoder(),
        ZxingSharpenDecoder(),
        OpenCvDecoder(),
        OpenCvArucoDecoder(),
    ]


def best_decoder() -> Decoder:
    """The decoder for one frame: the till's pipeline (``TillDecoder``).

    ``python -m bench.qr_decode`` races it against plain zxing-cpp, the old
    zxing-cpp+sharpen and OpenCV's two detectors on the same frames, single frames and
    30-frame bursts (docs/benchmarks.md has the table). The camera itself reads the
    stream with ``desktop.scan.burst.BurstReader``, which adds the fusion of frames.
    """
    return TillDecoder()
