"""An image dataset from a folder with one subfolder of PNG images per class (no Qt).

``folder/cats/*.png``, ``folder/dogs/*.png`` become the classes "cats" and "dogs". Every
image is resized to ``size`` x ``size`` pixels (averaging the source pixels each new pixel
covers), made greyscale or kept in colour, and stored inside the experiment as an
``"images"`` payload (:mod:`.embedded`); the network sees each pixel's darkness,
flattened, from 0 (white) to 1 (black).

Limits are checked before anything is decoded: the number of images, each file's size,
and each image's width x height (read from its header). An unreadable image is an error
naming the file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from neuroviz.fileio import FileLimitError, read_bytes_limited

from .embedded import MAX_EMBEDDED_VALUES, encode_array
from .errors import DatasetError
from .png import PNGError, decode_png, png_size

MAX_IMAGES = 20_000
MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_IMAGE_PIXELS = 2048 * 2048
SIZES = (8, 12, 16, 20, 28, 32)
MAX_SIZE = 64
_OTHER_IMAGES = {".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp"}


def resize(image: np.ndarray, size: int) -> np.ndarray:
    """Resize ``(h, w, c)`` to ``(size, size, c)`` float64: each new pixel is the mean of the
    source pixels it covers (whole pixels; the nearest one when enlarging)."""
    h, w = image.shape[:2]
    rows = [(i * h // size, max((i + 1) * h // size, i * h // size + 1)) for i in range(size)]
    cols = [(j * w // size, max((j + 1) * w // size, j * w // size + 1)) for j in range(size)]
    integral = np.zeros((h + 1, w + 1, image.shape[2]))
    integral[1:, 1:] = image.astype(np.float64).cumsum(0).cumsum(1)
    r0, r1 = np.array(rows).T
    c0, c1 = np.array(cols).T
    total = (integral[r1][:, c1] - integral[r0][:, c1] - integral[r1][:, c0]
             + integral[r0][:, c0])
    area = ((r1 - r0)[:, None] * (c1 - c0)[None, :])[..., None]
    return total / area


def _grey(image: np.ndarray) -> np.ndarray:
    if image.shape[2] == 1:
        return image.astype(np.float64)
    return image.astype(np.float64) @ np.array([0.299, 0.587, 0.114])[:, None]


def scan_folder(folder: str | Path, max_images: int = MAX_IMAGES) -> list[tuple[str, list[Path]]]:
    """The classes (subfolder names, sorted) and their PNG files; checks counts, no decoding."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetError(f"{folder}: not a folder")
    classes = []
    for sub in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        files = []
        for f in sorted(sub.iterdir()):
            if f.name.startswith(".") or not f.is_file():
                continue
            suffix = f.suffix.lower()
            if suffix == ".png":
                files.append(f)
            elif suffix in _OTHER_IMAGES:
                raise DatasetError(f"{sub.name}/{f.name}: only PNG images can be read; convert "
                                   "it to PNG or remove it")
        if not files:
            raise DatasetError(f"{sub.name}: the class folder has no PNG images")
        classes.append((sub.name, files))
    if len(classes) < 2:
        raise DatasetError(f"{folder.name}: needs at least two subfolders of PNG images, one "
                           f"per class (found {len(classes)})")
    count = sum(len(files) for _, files in classes)
    if count > max_images:
        raise DatasetError(f"{folder.name}: {count:,} images, at most {max_images:,}")
    for name, files in classes:
        if len(files) < 2:
            raise DatasetError(f"{name}: only one image; every class needs two (one to train, "
                               "one to test)")
    return classes


def load_image_folder(folder: str | Path, size: int = 16, colour: bool = False,
                      max_images: int = MAX_IMAGES) -> dict:
    """Read ``folder`` into an ``"images"`` payload (see the module docstring).

    Raises DatasetError naming the folder or file for every problem.
    """
    folder = Path(folder)
    if isinstance(size, bool) or not isinstance(size, int) or not 2 <= size <= MAX_SIZE:
        raise DatasetError(f"image size must be a whole number from 2 to {MAX_SIZE}, got "
                           f"{size!r}")
    classes = scan_folder(folder, max_images)
    count = sum(len(files) for _, files in classes)
    channels = 3 if colour else 1
    if count * size * size * channels > MAX_EMBEDDED_VALUES:
        raise DatasetError(f"{folder.name}: {count:,} images of {size} x {size} x {channels} "
                           f"are too many pixels to keep (at most {MAX_EMBEDDED_VALUES:,}); "
                           "choose a smaller size or greyscale")
    blobs = []
    for label, (name, files) in enumerate(classes):  # every header checked before decoding
        for f in files:
            where = f"{name}/{f.name}"
            try:
                data = read_bytes_limited(f, MAX_FILE_BYTES)
                w, h = png_size(data)
            except FileLimitError as exc:
                raise DatasetError(f"{where}: {exc}") from None
            except PNGError as exc:
                raise DatasetError(f"{where}: {exc}") from None
            if w * h > MAX_IMAGE_PIXELS:
                raise DatasetError(f"{where}: {w} x {h} pixels, at most {MAX_IMAGE_PIXELS:,} "
                                   "per image")
            blobs.append((where, data, label))
    pixels = np.empty((count, size, size, channels), dtype=np.uint8)
    labels = np.empty(count, dtype=np.float64)
    for k, (where, data, label) in enumerate(blobs):
        try:
            image = decode_png(data, MAX_IMAGE_PIXELS)
        except PNGError as exc:
            raise DatasetError(f"{where}: {exc}") from None
        if not colour:
            image = _grey(image)
        elif image.shape[2] == 1:
            image = np.repeat(image, 3, axis=2)
        pixels[k] = np.clip(np.rint(resize(image, size)), 0, 255).astype(np.uint8)
        labels[k] = label
    return {"kind": "images", "title": folder.name, "source": folder.name,
            "task": "classification", "class_names": [name for name, _ in classes],
            "pixels": encode_array(pixels), "labels": encode_array(labels)}
