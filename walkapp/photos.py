"""Photo intake: decode with Pillow under limits, re-encode to clean JPEG, store. No Flask.

Re-encoding is the security step: whatever arrived (crafted headers, scripts, EXIF with the
resident's home coordinates) we keep only pixels.
"""

import io
import os
import tempfile
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}


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


def _flatten(img: Image.Image) -> Image.Image:
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        white = Image.new("RGB", rgba.size, (255, 255, 255))
        white.paste(rgba, mask=rgba.getchannel("A"))
        return white
    return img.convert("RGB")


def _jpeg(img: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    img.save(out, "JPEG", quality=quality, optimize=True, progressive=True)  # no exif= → none
    return out.getvalue()


def process(data: bytes, content_type: str, *, max_pixels: int, max_side: int,
            thumb_side: int) -> Processed:
    if content_type not in ACCEPTED:
        raise PhotoError(415, "unsupported_media_type",
                         f"Content-Type must be one of {', '.join(ACCEPTED)}.")
    try:
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
            img.seek(0)
            img.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoError(413, "too_large", "The image has too many pixels.") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as err:
        raise PhotoError(415, "unsupported_media_type",
                         f"The body is not a readable image ({type(err).__name__}).") from None
    img = _flatten(ImageOps.exif_transpose(img))  # apply the camera's rotation, then drop EXIF
    img.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    thumb = img.copy()
    thumb.thumbnail((thumb_side, thumb_side), Image.Resampling.LANCZOS)
    return Processed(_jpeg(img, 85), _jpeg(thumb, 80), img.width, img.height)


def paths(folder: str | Path, photo_id: uuid.UUID) -> tuple[Path, Path]:
    base = Path(folder) / photo_id.hex[:2]
    return base / f"{photo_id}.jpg", base / f"{photo_id}_thumb.jpg"


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".part")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def save(folder: str | Path, photo_id: uuid.UUID, processed: Processed) -> None:
    full, thumb = paths(folder, photo_id)
    _write_atomic(full, processed.jpeg)
    _write_atomic(thumb, processed.thumb)


def delete(folder: str | Path, photo_id: uuid.UUID) -> None:
    for p in paths(folder, photo_id):
        p.unlink(missing_ok=True)
