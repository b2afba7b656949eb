"""Animated GIF encoding without an imaging package: a palette built from the frames, LZW.

* :func:`build_palette` chooses up to 256 colours for the whole animation by median cut over
  the exact colours of its frames, so backgrounds and text keep their exact colours and
  smooth heatmaps keep their gradients instead of banding into a fixed colour cube.
* :func:`palette_lut` maps every 18-bit colour to its nearest palette entry; :func:`quantize`
  turns an RGB frame into palette indices with it (palette colours map to themselves).
* :func:`encode_gif` writes GIF89a: one global palette, only the changed rectangle of each
  frame, LZW compressed by a compiled kernel that releases the GIL (so the window stays
  responsive while a worker thread encodes); :func:`lzw_reference` is the same algorithm in
  plain Python, kept as the reference the kernel is tested against.

No Qt here: the encoder runs on any thread.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable

import numpy as np
from numba import njit

__all__ = ["FIXED_PALETTE", "build_palette", "encode_gif", "gif_frame_count", "lzw",
           "lzw_reference", "palette_lut", "quantize", "quantize_fixed"]


# ----------------------------------------------------------------------------- palettes
def _fixed_palette() -> np.ndarray:
    """A 6×6×6 colour cube (216 colours) and a ramp of 40 greys (user interfaces are grey)."""
    levels = np.linspace(0, 255, 6)
    r, g, b = np.meshgrid(levels, levels, levels, indexing="ij")
    cube = np.stack([r.ravel(), g.ravel(), b.ravel()], axis=1)
    greys = np.repeat(GREYS[:, None], 3, axis=1)
    return np.round(np.vstack([cube, greys])).astype(np.uint8)


GREYS = np.round(np.linspace(0, 255, 40)).astype(np.int16)
FIXED_PALETTE = _fixed_palette()
GREY_TOLERANCE = 12


def quantize_fixed(rgb: np.ndarray) -> np.ndarray:
    """(h, w, 3) uint8 -> (h, w) indices into :data:`FIXED_PALETTE` (no frames needed)."""
    rgb = np.asarray(rgb, dtype=np.int16)
    q = np.rint(rgb / 51.0).astype(np.int16)
    idx = q[..., 0] * 36 + q[..., 1] * 6 + q[..., 2]
    spread = rgb.max(axis=-1) - rgb.min(axis=-1)
    grey = spread <= GREY_TOLERANCE
    if grey.any():
        v = rgb[grey].mean(axis=-1)
        idx[grey] = 216 + np.rint(v * (len(GREYS) - 1) / 255.0).astype(np.int16)
    return idx.astype(np.uint8)


#: Bits a channel in the lookup table from colour to palette entry (18-bit colours).
LUT_BITS = 6


def _bins(rgb: np.ndarray) -> np.ndarray:
    """Colour bin of each pixel in the lookup table: ``LUT_BITS`` a channel."""
    c = np.asarray(rgb, dtype=np.uint8).reshape(-1, 3).astype(np.int32) >> (8 - LUT_BITS)
    return (c[:, 0] << (2 * LUT_BITS)) | (c[:, 1] << LUT_BITS) | c[:, 2]


def _packed(rgb: np.ndarray) -> np.ndarray:
    c = np.asarray(rgb, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
    return (c[:, 0] << 16) | (c[:, 1] << 8) | c[:, 2]


def build_palette(frames: Iterable[np.ndarray], colours: int = 256,
                  pixel_step: int = 1) -> np.ndarray:
    """Up to ``colours`` RGB colours ((n, 3) uint8) that represent ``frames`` ((h, w, 3) uint8).

    Median cut over the exact colours of the frames: the box with the most pixels times its
    widest extent is split at its weighted median along that extent, until there are
    ``colours`` boxes; each box's colour is the mean of its pixels' colours, so a colour
    that fills a box alone (a background, the text) is kept exactly. ``pixel_step`` > 1
    counts every n-th pixel only (faster for long recordings).
    """
    codes, counts = [], []
    for frame in frames:
        flat = np.asarray(frame, dtype=np.uint8).reshape(-1, 3)[::max(1, int(pixel_step))]
        u, c = np.unique(_packed(flat), return_counts=True)
        codes.append(u)
        counts.append(c)
    if not codes:
        return np.zeros((1, 3), np.uint8)
    u, inverse = np.unique(np.concatenate(codes), return_inverse=True)
    w = np.bincount(inverse, weights=np.concatenate(counts).astype(np.float64))
    mean = np.stack([(u >> 16) & 255, (u >> 8) & 255, u & 255], axis=1).astype(np.float64)
    boxes = [np.arange(u.size)]
    while len(boxes) < colours:
        best, best_score, best_axis = -1, 0.0, 0
        for n, box in enumerate(boxes):
            if box.size < 2:
                continue
            pts = mean[box]
            extent = pts.max(axis=0) - pts.min(axis=0)
            axis = int(np.argmax(extent))
            score = float(extent[axis]) * float(np.sqrt(w[box].sum()))
            if score > best_score:
                best, best_score, best_axis = n, score, axis
        if best < 0:
            break
        box = boxes.pop(best)
        order = box[np.argsort(mean[box, best_axis], kind="stable")]
        cum = np.cumsum(w[order])
        cut = int(np.searchsorted(cum, cum[-1] / 2.0))
        cut = min(max(cut, 1), order.size - 1)
        boxes += [order[:cut], order[cut:]]
    palette = np.array([np.average(mean[box], axis=0, weights=w[box]) for box in boxes])
    return np.clip(np.rint(palette), 0, 255).astype(np.uint8)


def palette_lut(palette: np.ndarray) -> np.ndarray:
    """uint8 table: the nearest palette entry for every colour bin (see :data:`LUT_BITS`)."""
    palette = np.asarray(palette, dtype=np.float32).reshape(-1, 3)
    n_bins = 1 << (3 * LUT_BITS)
    codes = np.arange(n_bins)
    mask = (1 << LUT_BITS) - 1
    width = 1 << (8 - LUT_BITS)
    centres = np.stack([(codes >> (2 * LUT_BITS)) & mask, (codes >> LUT_BITS) & mask,
                        codes & mask], axis=1)
    centres = (centres * width + (width - 1) / 2).astype(np.float32)
    lut = np.empty(n_bins, np.uint8)
    # Perceptual weights (green matters most) keep close colours of heatmaps apart.
    weight = np.array([0.30, 0.59, 0.11], np.float32)
    chunk = 8192
    for start in range(0, n_bins, chunk):
        d = (((centres[start:start + chunk, None, :] - palette[None, :, :]) ** 2)
             * weight).sum(-1)
        lut[start:start + chunk] = np.argmin(d, axis=1)
    return lut


def quantize(rgb: np.ndarray, palette: np.ndarray | None = None,
             lut: np.ndarray | None = None) -> np.ndarray:
    """(h, w, 3) uint8 -> (h, w) palette indices.

    With a ``palette`` (or its ``lut``), each pixel gets its nearest colour; exact palette
    colours map to themselves. Without one, the fixed colour cube is used.
    """
    rgb = np.asarray(rgb, dtype=np.uint8)
    if palette is None and lut is None:
        return quantize_fixed(rgb)
    if lut is None:
        lut = palette_lut(palette)
    idx = lut[_bins(rgb)]
    if palette is not None:
        # Exact colours (backgrounds, text) stay exact even when they share a bin.
        pal = np.asarray(palette, dtype=np.uint8)
        keys = _packed(pal)
        pix = _packed(rgb)
        order = np.argsort(keys)
        pos = np.searchsorted(keys[order], pix)
        pos = np.minimum(pos, len(keys) - 1)
        exact = keys[order][pos] == pix
        idx[exact] = order[pos[exact]]
    return idx.reshape(rgb.shape[:2]).astype(np.uint8)


# ----------------------------------------------------------------------------- LZW
def lzw_reference(indices: np.ndarray, min_code_size: int = 8) -> bytes:
    """GIF LZW compression of a flat uint8 index array, in plain Python (the reference)."""
    clear = 1 << min_code_size
    end = clear + 1
    out = bytearray()
    acc = 0
    nbits = 0
    code_size = min_code_size + 1

    def emit(code: int) -> None:
        nonlocal acc, nbits
        acc |= code << nbits
        nbits += code_size
        while nbits >= 8:
            out.append(acc & 0xFF)
            acc >>= 8
            nbits -= 8

    table: dict[int, int] = {}
    next_code = end + 1
    emit(clear)
    data = np.ascontiguousarray(indices, dtype=np.uint8).tobytes()
    if not data:
        emit(end)
        if nbits:
            out.append(acc & 0xFF)
        return bytes(out)
    prefix = data[0]
    for k in data[1:]:
        key = (prefix << 8) | k
        code = table.get(key)
        if code is not None:
            prefix = code
            continue
        emit(prefix)
        if next_code < 4096:
            table[key] = next_code
            next_code += 1
            if next_code > (1 << code_size) and code_size < 12:
                code_size += 1
        else:
            emit(clear)
            table.clear()
            next_code = end + 1
            code_size = min_code_size + 1
        prefix = k
    emit(prefix)
    emit(end)
    if nbits:
        out.append(acc & 0xFF)
    return bytes(out)


@njit(nogil=True, cache=True)
def _emit(out, n_out, acc, nbits, code, code_size):  # pragma: no cover - compiled
    """Append ``code`` (``code_size`` bits) to the bit accumulator and flush whole bytes to
    ``out``; returns the new (n_out, acc, nbits)."""
    acc |= np.int64(code) << nbits
    nbits += code_size
    while nbits >= 8:
        out[n_out] = acc & 0xFF
        n_out += 1
        acc >>= 8
        nbits -= 8
    return n_out, acc, nbits


@njit(nogil=True, cache=True)
def _lzw_kernel(data, min_code_size):  # pragma: no cover - compiled
    # Same algorithm as lzw_reference; table[prefix, k] is the code of prefix+k (-1: none).
    clear = 1 << min_code_size
    end = clear + 1
    out = np.empty(data.size * 2 + 64, np.uint8)
    code_size = min_code_size + 1
    table = np.full((4096, 256), -1, np.int16)
    next_code = end + 1
    n_out, acc, nbits = _emit(out, 0, np.int64(0), 0, clear, code_size)
    prefix = np.int64(end)
    if data.size > 0:
        prefix = np.int64(data[0])
    for n in range(1, data.size):
        k = data[n]
        code = table[prefix, k]
        if code >= 0:
            prefix = np.int64(code)
            continue
        n_out, acc, nbits = _emit(out, n_out, acc, nbits, prefix, code_size)
        if next_code < 4096:
            table[prefix, k] = next_code
            next_code += 1
            if next_code > (1 << code_size) and code_size < 12:
                code_size += 1
        else:
            n_out, acc, nbits = _emit(out, n_out, acc, nbits, clear, code_size)
            table[:, :] = -1
            next_code = end + 1
            code_size = min_code_size + 1
        prefix = np.int64(k)
    if data.size > 0:
        n_out, acc, nbits = _emit(out, n_out, acc, nbits, prefix, code_size)
    n_out, acc, nbits = _emit(out, n_out, acc, nbits, end, code_size)
    if nbits > 0:
        out[n_out] = acc & 0xFF
        n_out += 1
    return out[:n_out]


def lzw(indices: np.ndarray, min_code_size: int = 8) -> bytes:
    """GIF LZW compression of a uint8 index array (compiled; releases the GIL)."""
    data = np.ascontiguousarray(indices, dtype=np.uint8).ravel()
    return bytes(_lzw_kernel(data, min_code_size))


# ----------------------------------------------------------------------------- file
def _sub_blocks(data: bytes) -> bytes:
    out = bytearray()
    for i in range(0, len(data), 255):
        chunk = data[i:i + 255]
        out.append(len(chunk))
        out += chunk
    out.append(0)
    return bytes(out)


def _changed_box(prev: np.ndarray | None, frame: np.ndarray) -> tuple[int, int, int, int]:
    """(top, left, height, width) of the pixels that differ from the previous frame."""
    h, w = frame.shape
    if prev is None or prev.shape != frame.shape:
        return 0, 0, h, w
    diff = prev != frame
    rows = np.flatnonzero(diff.any(axis=1))
    if rows.size == 0:
        return 0, 0, 1, 1  # nothing changed: a 1-pixel frame keeps the timing
    cols = np.flatnonzero(diff.any(axis=0))
    return int(rows[0]), int(cols[0]), int(rows[-1] - rows[0] + 1), int(cols[-1] - cols[0] + 1)


def encode_gif(frames, delay_ms: int = 100, loop: bool = True,
               progress: Callable[[int, int], bool] | None = None,
               palette: np.ndarray | None = None) -> bytes | None:
    """Encode palette-index frames ((h, w) uint8, all the same size) as an animated GIF.

    ``palette`` is the (n <= 256, 3) colour table the indices refer to (default: the fixed
    cube of :func:`quantize_fixed`). ``progress(done, total)`` is called after each frame;
    returning False cancels (the function then returns None).
    """
    frames = list(frames)
    if not frames:
        raise ValueError("no frames to encode")
    table = FIXED_PALETTE if palette is None else np.asarray(palette, dtype=np.uint8)
    if not 1 <= len(table) <= 256:
        raise ValueError(f"a GIF palette has 1 to 256 colours, not {len(table)}")
    full = np.zeros((256, 3), np.uint8)
    full[:len(table)] = table
    h, w = frames[0].shape
    out = bytearray(b"GIF89a")
    out += struct.pack("<HHBBB", w, h, 0xF7, 0, 0)  # global colour table of 256 entries
    out += full.tobytes()
    if loop:
        out += b"\x21\xff\x0bNETSCAPE2.0\x03\x01" + struct.pack("<H", 0) + b"\x00"
    delay = max(2, int(round(delay_ms / 10)))
    prev = None
    for n, frame in enumerate(frames):
        frame = np.ascontiguousarray(frame, dtype=np.uint8)
        if frame.shape != (h, w):
            raise ValueError(f"frame {n} is {frame.shape[1]}x{frame.shape[0]}, expected {w}x{h}")
        top, left, fh, fw = _changed_box(prev, frame)
        # graphic control: disposal 1 (leave in place), the delay, no transparency
        out += b"\x21\xf9\x04" + struct.pack("<BHB", 0x04, delay, 0) + b"\x00"
        out += b"\x2c" + struct.pack("<HHHHB", left, top, fw, fh, 0)
        out.append(8)
        out += _sub_blocks(lzw(frame[top:top + fh, left:left + fw]))
        prev = frame
        if progress is not None and progress(n + 1, len(frames)) is False:
            return None
    out.append(0x3B)
    return bytes(out)


def gif_frame_count(data: bytes) -> int:
    """Number of image frames in GIF data (walks the block structure; for tests)."""
    if data[:6] not in (b"GIF87a", b"GIF89a"):
        raise ValueError("not a GIF file")
    flags = data[10]
    pos = 13 + (3 * (2 << (flags & 7)) if flags & 0x80 else 0)
    frames = 0
    while pos < len(data):
        block = data[pos]
        if block == 0x3B:
            return frames
        if block == 0x21:
            pos += 2
            while data[pos]:
                pos += data[pos] + 1
            pos += 1
        elif block == 0x2C:
            frames += 1
            local = data[pos + 9]
            pos += 10 + (3 * (2 << (local & 7)) if local & 0x80 else 0)
            pos += 1  # LZW minimum code size
            while data[pos]:
                pos += data[pos] + 1
            pos += 1
        else:
            raise ValueError(f"bad GIF block 0x{block:02x} at byte {pos}")
    raise ValueError("truncated GIF (no trailer)")
