"""A small PNG decoder in pure Python, NumPy and zlib (no Qt, no imaging library).

:func:`decode_png` reads every standard non-interlaced PNG: greyscale, RGB, palette,
greyscale with alpha and RGBA, at every bit depth the format allows. Transparent pixels are
laid over white. The image's size is read from its header and checked against
``max_pixels`` before any pixel data is decompressed, and the decompressed size is bounded,
so a small file cannot expand into a huge image. :func:`encode_png` writes 8-bit images
(used by tests and examples).
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_PIXELS = 4096 * 4096
_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
_DEPTHS = {0: (1, 2, 4, 8, 16), 2: (8, 16), 3: (1, 2, 4, 8), 4: (8, 16), 6: (8, 16)}


class PNGError(ValueError):
    """The bytes are not a PNG image this decoder can read; the message says why."""


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from the header, without decoding anything."""
    if not data.startswith(SIGNATURE):
        raise PNGError("not a PNG image (the file does not start with the PNG signature)")
    if len(data) < 33 or data[12:16] != b"IHDR":
        raise PNGError("damaged PNG: the header chunk is missing")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def decode_png(data: bytes, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Decode PNG bytes to a uint8 array ``(height, width, 1)`` (grey) or ``(h, w, 3)`` (RGB).

    Raises
    ------
    PNGError
        Not a PNG, damaged (a checksum, a chunk or the compressed data), interlaced, or
        larger than ``max_pixels``.
    """
    width, height = png_size(data)
    if width == 0 or height == 0:
        raise PNGError("the image has no pixels (width or height is 0)")
    if width * height > max_pixels:
        raise PNGError(f"{width} x {height} pixels, at most {max_pixels:,} pixels per image")
    pos, header, palette, transparency, idat = 8, None, None, None, []
    while True:
        if pos + 12 > len(data):
            raise PNGError("damaged PNG: the file ends before the image end chunk (truncated?)")
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        if len(body) != length or pos + 12 + length > len(data):
            raise PNGError(f"damaged PNG: the {kind.decode('latin-1')!r} chunk is cut short")
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        if zlib.crc32(kind + body) != crc:
            raise PNGError(f"damaged PNG: checksum error in the {kind.decode('latin-1')!r} chunk")
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"PLTE":
            palette = np.frombuffer(body, dtype=np.uint8).reshape(-1, 3)
        elif kind == b"tRNS":
            transparency = body
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    _, _, depth, colour, compression, filtering, interlace = header
    if colour not in _CHANNELS or depth not in _DEPTHS[colour]:
        raise PNGError(f"unknown colour type {colour} with bit depth {depth}")
    if compression != 0 or filtering != 0:
        raise PNGError("unknown compression or filter method")
    if interlace:
        raise PNGError("interlaced PNG images are not supported; save it without interlacing")
    if colour == 3 and palette is None:
        raise PNGError("damaged PNG: a palette image without a palette")
    channels = _CHANNELS[colour]
    bits = channels * depth
    stride = (width * bits + 7) // 8
    bpp = max(1, bits // 8)
    expected = height * (stride + 1)
    try:
        raw = zlib.decompressobj().decompress(b"".join(idat), expected + 1)
    except zlib.error as exc:
        raise PNGError(f"damaged PNG: the pixel data cannot be decompressed ({exc})") from None
    if len(raw) != expected:
        raise PNGError("damaged PNG: the pixel data does not match the image size")
    rows = _unfilter(np.frombuffer(raw, dtype=np.uint8).reshape(height, stride + 1), bpp)
    samples = _samples(rows, width, channels, depth)
    return _to_image(samples, colour, depth, palette, transparency)


def _unfilter(scan: np.ndarray, bpp: int) -> np.ndarray:
    """Undo the per-row filters (none, sub, up, average, Paeth)."""
    height, stride = scan.shape[0], scan.shape[1] - 1
    out = np.zeros((height, stride), dtype=np.uint8)
    prev = np.zeros(stride, dtype=np.int64)
    for r in range(height):
        kind = int(scan[r, 0])
        line = scan[r, 1:].astype(np.int64)
        if kind == 0:
            cur = line
        elif kind == 1:  # sub: x + left, a running sum per byte position within a pixel
            padded = np.zeros(((stride + bpp - 1) // bpp) * bpp, dtype=np.int64)
            padded[:stride] = line
            cur = (np.cumsum(padded.reshape(-1, bpp), axis=0) % 256).ravel()[:stride]
        elif kind == 2:  # up
            cur = (line + prev) % 256
        elif kind in (3, 4):
            cur = np.zeros(stride, dtype=np.int64)
            up = prev.tolist()
            vals = line.tolist()
            res = [0] * stride
            for i in range(stride):
                a = res[i - bpp] if i >= bpp else 0
                b = up[i]
                if kind == 3:
                    res[i] = (vals[i] + (a + b) // 2) & 255
                else:
                    c = up[i - bpp] if i >= bpp else 0
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                    res[i] = (vals[i] + pred) & 255
            cur = np.array(res, dtype=np.int64)
        else:
            raise PNGError(f"damaged PNG: unknown filter type {kind} in row {r + 1}")
        out[r] = cur
        prev = cur
    return out


def _samples(rows: np.ndarray, width: int, channels: int, depth: int) -> np.ndarray:
    """Filtered rows -> integer samples (height, width, channels)."""
    height = rows.shape[0]
    if depth == 8:
        return rows[:, :width * channels].reshape(height, width, channels).astype(np.int64)
    if depth == 16:
        pairs = rows[:, :width * channels * 2].reshape(height, width * channels, 2)
        return (pairs[..., 0].astype(np.int64) * 256 + pairs[..., 1]).reshape(
            height, width, channels)
    bits = np.unpackbits(rows, axis=1)[:, :width * depth].reshape(height, width, depth)
    weights = 1 << np.arange(depth - 1, -1, -1)
    return (bits.astype(np.int64) * weights).sum(axis=2).reshape(height, width, 1)


def _to_image(samples, colour, depth, palette, transparency) -> np.ndarray:
    """Samples -> uint8 grey (h, w, 1) or RGB (h, w, 3), transparency laid over white."""
    alpha = None
    if colour == 3:
        index = np.clip(samples[..., 0], 0, len(palette) - 1)
        rgb = palette[index].astype(np.float64)
        if transparency:
            table = np.full(256, 255.0)
            table[:len(transparency)] = np.frombuffer(transparency, dtype=np.uint8)
            alpha = table[index] / 255.0
        scaled = rgb
    else:
        top = float((1 << depth) - 1)
        scaled = samples.astype(np.float64) * (255.0 / top)
        if colour in (4, 6):
            alpha = scaled[..., -1] / 255.0
            scaled = scaled[..., :-1]
        elif transparency and colour in (0, 2):
            key = np.array(struct.unpack(f">{len(transparency) // 2}H", transparency))
            alpha = np.where(np.all(samples == key, axis=-1), 0.0, 1.0)
    if alpha is not None:
        scaled = scaled * alpha[..., None] + 255.0 * (1.0 - alpha[..., None])
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)


def encode_png(image: np.ndarray) -> bytes:
    """8-bit PNG bytes of a uint8 image ``(h, w)``, ``(h, w, 1)``, ``(h, w, 3)`` or RGBA."""
    image = np.asarray(image, dtype=np.uint8)
    if image.ndim == 2:
        image = image[..., None]
    height, width, channels = image.shape
    colour = {1: 0, 2: 4, 3: 2, 4: 6}[channels]
    raw = b"".join(b"\x00" + image[r].tobytes() for r in range(height))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body)))

    header = struct.pack(">IIBBBBB", width, height, 8, colour, 0, 0, 0)
    return (SIGNATURE + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw))
            + chunk(b"IEND", b""))
