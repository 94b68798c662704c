"""Photo intake speed: walkapp.photos.process beside a plain Pillow floor, same images, same run.

    python bench/photo_intake.py [--rounds 15] [--sizes 1600x1200,2000x1500,4000x3000]

The floor is the least any re-encoding server must do to produce the same output: decode
(JPEG draft mode: the decoder scales by 1/2, 1/4 or 1/8 when that still covers the output),
scale to at most PHOTO_MAX_SIDE with Pillow's default thumbnail filter, encode one JPEG at
the same quality. walkapp's process() does that plus its safety work: format and pixel-limit
checks, the camera's rotation, flattening, dropping EXIF/XMP/comments, and a thumbnail.

Inputs look like camera photos (smooth shapes plus sensor noise, EXIF with GPS, quality 90),
so the encoders do realistic work. Each round times floor and process() back to back on the
same bytes; the figures are CPU-time medians over rounds (the machine is shared and noisy).
Goal (issue 7): process() within 1.3× of the floor at every size.
"""

import argparse
import io
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import PIL
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from walkapp import photos  # noqa: E402
from walkapp.config import defaults  # noqa: E402

CFG = defaults(Path("/tmp"))
MAX_SIDE, THUMB_SIDE, QUALITY = CFG["PHOTO_MAX_SIDE"], CFG["PHOTO_THUMB_SIDE"], photos.QUALITY


def camera_photo(width: int, height: int, seed: int = 7) -> bytes:
    """A JPEG with a photo's statistics: large smooth shapes, fine noise, EXIF with GPS."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, (max(2, height // 48), max(2, width // 48), 3), dtype=np.uint8)
    base = np.asarray(Image.fromarray(coarse).resize((width, height), Image.Resampling.BICUBIC))
    noisy = base.astype(np.int16) + rng.normal(0, 5, base.shape).astype(np.int16)
    img = Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))
    exif = Image.Exif()
    exif[0x010F], exif[0x0112] = "PhoneCorp", 1
    exif[0x8825] = {1: "N", 2: (57.0, 9.0, 30.0), 3: "E", 4: (15.0, 16.0, 12.0)}
    out = io.BytesIO()
    img.save(out, "JPEG", quality=90, exif=exif)
    return out.getvalue()


def floor(data: bytes) -> bytes:
    img = Image.open(io.BytesIO(data))
    img.draft("RGB", photos.fit(img.size, MAX_SIDE))
    img.load()
    img.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=QUALITY)
    return out.getvalue()


def ours(data: bytes) -> photos.Processed:
    return photos.process(data, "image/jpeg", max_pixels=13_000_000, max_side=MAX_SIDE,
                          thumb_side=THUMB_SIDE)


def timed(fn, data) -> float:
    # CPU seconds of this process, not wall time: on a shared machine another process's work
    # would otherwise land in either column at random. Pillow decodes on the calling thread.
    start = time.process_time()
    fn(data)
    return time.process_time() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--sizes", default="1600x1200,2000x1500,4000x3000",
                    help="1600x1200 is what the field app sends; larger ones come from other "
                         "clients (4000x3000 only with PHOTO_MAX_PIXELS raised, as here)")
    args = ap.parse_args()
    print(f"python {platform.python_version()}, Pillow {PIL.__version__}, "
          f"{os.cpu_count()} cpus, {platform.machine()}; CPU-time medians of {args.rounds} rounds")
    print(f"{'size':>10} {'input':>8} {'floor ms':>9} {'process ms':>11} {'ratio':>6}  output")
    worst = 0.0
    for spec in args.sizes.split(","):
        w, h = (int(v) for v in spec.split("x"))
        data = camera_photo(w, h)
        result = ours(data)  # warm up (and check the safety work happened)
        assert b"PhoneCorp" not in result.jpeg and max(result.width, result.height) <= MAX_SIDE
        floor(data)
        floors, mine = [], []
        for _ in range(args.rounds):
            floors.append(timed(floor, data))
            mine.append(timed(ours, data))
        f, m = statistics.median(floors), statistics.median(mine)
        worst = max(worst, m / f)
        print(f"{spec:>10} {len(data) / 1024:>6.0f}kB {f * 1000:>9.1f} {m * 1000:>11.1f} "
              f"{m / f:>6.2f}  {result.width}×{result.height} + thumb, "
              f"{len(result.jpeg) / 1024:.0f} kB")
    print(f"worst ratio process/floor: {worst:.2f}  (goal: ≤ 1.30)")


if __name__ == "__main__":
    main()
