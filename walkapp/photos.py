"""Photo intake: decode with Pillow under limits, re-encode to clean JPEG. No Flask.

Re-encoding is the security step: whatever arrived (crafted headers, scripts, EXIF with the
resident's home coordinates, a JPEG comment or PNG text with an address) we keep only pixels.
Where the bytes are kept is walkapp/photo_store.py's business.

Speed matters (it bounds the whole server under load; see bench/photo_intake.py): a JPEG
is decoded straight at the smallest DCT scale that still covers the output size (draft
mode), nothing is copied that need not be, the thumbnail is reduced from the already
scaled image, and both are written as baseline JPEGs.
"""

import io
import threading
import warnings
from contextlib import contextmanager
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
QUALITY, THUMB_QUALITY = 85, 80
SLOTS_KEY = "walkapp.photo_decode_slots"  # the app's DecodeSlots, in app.extensions


class PhotoError(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass(frozen=True)
class Processed:
    jpeg: bytes
    thumb: bytes
    width: int
    height: int


def fit(size: tuple[int, int], side: int) -> tuple[int, int]:
    """size scaled down (never up) so that its longer side is at most `side`."""
    w, h = size
    scale = min(1.0, side / max(w, h))
    return max(1, round(w * scale)), max(1, round(h * scale))


def _flatten(img: Image.Image) -> Image.Image:
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        white = Image.new("RGB", rgba.size, (255, 255, 255))
        white.paste(rgba, mask=rgba.getchannel("A"))
        return white
    return img.convert("RGB")


def _jpeg(img: Image.Image, quality: int) -> bytes:
    img.info = {}  # Pillow writes info["comment"] back as a JPEG COM segment: drop it all
    out = io.BytesIO()
    img.save(out, "JPEG", quality=quality)  # no exif=, icc_profile=, xmp= → none written
    return out.getvalue()


def _open(data: bytes, content_type: str, max_pixels: int, max_side: int) -> Image.Image:
    """The decoded image, at the smallest JPEG scale that still covers max_side."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        img = Image.open(io.BytesIO(data))
        w, h = img.size
        if w * h > max_pixels:
            raise PhotoError(413, "too_large",
                             f"The image has {w}×{h} pixels; the limit is {max_pixels:,}.")
        if img.format != ACCEPTED[content_type]:
            raise PhotoError(415, "unsupported_media_type",
                             f"The body is {img.format or 'unknown'}, "
                             f"not {ACCEPTED[content_type]} as Content-Type says.")
        if img.format == "JPEG":
            # The decoder scales by 1/2, 1/4 or 1/8 while decoding: far less work than
            # decoding every pixel and resizing afterwards.
            img.draft(img.mode, fit((w, h), max_side))
        img.seek(0)
        img.load()
    return img


def process(data: bytes, content_type: str, *, max_pixels: int, max_side: int,
            thumb_side: int) -> Processed:
    if content_type not in ACCEPTED:
        raise PhotoError(415, "unsupported_media_type",
                         f"Content-Type must be one of {', '.join(ACCEPTED)}.")
    try:
        img = _open(data, content_type, max_pixels, max_side)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoError(413, "too_large", "The image has too many pixels.") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as err:
        raise PhotoError(415, "unsupported_media_type",
                         f"The body is not a readable image ({type(err).__name__}).") from None
    ImageOps.exif_transpose(img, in_place=True)  # apply the camera's rotation; EXIF goes below
    if img.mode != "RGB":
        img = _flatten(img)
    size = fit(img.size, max_side)
    if size != img.size:  # what thumbnail() does: antialiased bicubic, integer steps first
        img = img.resize(size, Image.Resampling.BICUBIC, reducing_gap=2.0)
    # The thumbnail: an integer box reduction to just above its size, then a short bilinear
    # step. A full Lanczos pass from 1600 px cost as much as decoding the photo.
    thumb = img.resize(fit(img.size, thumb_side), Image.Resampling.BILINEAR, reducing_gap=1.0)
    return Processed(_jpeg(img, QUALITY), _jpeg(thumb, THUMB_QUALITY), img.width, img.height)


class DecodeSlots:
    """At most `size` photos decoded at once in this process (each may take a few hundred MB
    at the pixel limit, and a core): the rest wait their turn, up to `wait` seconds."""

    def __init__(self, size: int, wait: float):
        self.size, self.wait = size, wait
        self._sem = threading.BoundedSemaphore(size)

    @contextmanager
    def slot(self):
        if not self._sem.acquire(timeout=self.wait):
            raise PhotoError(503, "busy",
                             "The server is busy processing other photos; try again shortly.")
        try:
            yield
        finally:
            self._sem.release()

