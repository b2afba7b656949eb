"""Image folders: a hand-written PNG encoder (zlib) checks the decoder, resizing and errors."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest

from neuroviz.data import DatasetError
from neuroviz.data.embedded import decode_array, load_embedded
from neuroviz.data.imagefolder import load_image_folder
from neuroviz.data.png import PNGError, decode_png


def png_bytes(rows: list[bytes], width: int, height: int, colour: int, depth: int = 8,
              extra: list[tuple[bytes, bytes]] = ()) -> bytes:
    """A PNG written here from the specification (independent of the package's encoder)."""
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(
            ">I", zlib.crc32(kind + body))
    head = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", head)
            + b"".join(chunk(k, b) for k, b in extra)
            + chunk(b"IDAT", zlib.compress(b"".join(rows))) + chunk(b"IEND", b""))


def grey_png(pixels: np.ndarray, filter_type: int = 0) -> bytes:
    pixels = np.asarray(pixels, dtype=np.uint8)
    rows, prev = [], np.zeros(pixels.shape[1], dtype=np.int64)
    for r in pixels.astype(np.int64):
        if filter_type == 1:  # sub
            line = (r - np.concatenate([[0], r[:-1]])) % 256
        elif filter_type == 2:  # up
            line = (r - prev) % 256
        elif filter_type == 3:  # average
            left = np.concatenate([[0], r[:-1]])
            line = (r - (left + prev) // 2) % 256
        elif filter_type == 4:  # Paeth
            line = []
            for i in range(len(r)):
                a = r[i - 1] if i else 0
                b = prev[i]
                c = prev[i - 1] if i else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line.append((r[i] - pred) % 256)
            line = np.array(line)
        else:
            line = r
        rows.append(bytes([filter_type]) + bytes(np.asarray(line, dtype=np.uint8)))
        prev = r
    return png_bytes(rows, pixels.shape[1], pixels.shape[0], 0)


@pytest.mark.parametrize("filter_type", [0, 1, 2, 3, 4])
def test_every_filter_decodes_to_the_pixels(filter_type):
    rng = np.random.default_rng(filter_type)
    pixels = rng.integers(0, 256, size=(7, 9), dtype=np.uint8)
    image = decode_png(grey_png(pixels, filter_type))
    np.testing.assert_array_equal(image[..., 0], pixels)


def test_rgb_palette_alpha_and_low_bit_depths():
    rgb = np.array([[[255, 0, 0], [0, 255, 0]], [[0, 0, 255], [10, 20, 30]]], dtype=np.uint8)
    data = png_bytes([b"\x00" + rgb[r].tobytes() for r in range(2)], 2, 2, 2)
    np.testing.assert_array_equal(decode_png(data), rgb)
    # Palette, 2 bits per pixel: indices 0..3 in one byte per row.
    palette = bytes([0, 0, 0, 255, 255, 255, 255, 0, 0, 0, 0, 255])
    data = png_bytes([b"\x00" + bytes([0b00011011])], 4, 1, 3, depth=2,
                     extra=[(b"PLTE", palette)])
    np.testing.assert_array_equal(decode_png(data)[0], [[0, 0, 0], [255, 255, 255],
                                                        [255, 0, 0], [0, 0, 255]])
    # Grey with alpha: a fully transparent black pixel lies over white; half: mid-grey.
    data = png_bytes([b"\x00" + bytes([0, 0, 0, 255, 0, 128])], 3, 1, 4)
    np.testing.assert_array_equal(decode_png(data)[0, :, 0], [255, 0, 127])
    # 1-bit greyscale: 0 black, 1 white.
    data = png_bytes([b"\x00" + bytes([0b10100000])], 3, 1, 0, depth=1)
    np.testing.assert_array_equal(decode_png(data)[0, :, 0], [255, 0, 255])


def test_damaged_and_huge_images_are_refused_before_decoding():
    good = grey_png(np.zeros((4, 4)))
    with pytest.raises(PNGError, match="checksum"):
        decode_png(good[:-20] + bytes([good[-20] ^ 1]) + good[-19:])
    with pytest.raises(PNGError, match="PNG signature"):
        decode_png(b"GIF89a...")
    # A header claiming 100000 x 100000 pixels is refused from the header alone.
    huge = png_bytes([b"\x00"], 100_000, 100_000, 0)
    with pytest.raises(PNGError, match="100000 x 100000 pixels"):
        decode_png(huge)


def make_folder(tmp_path, colour=False):
    root = tmp_path / "shapes"
    for name, value in (("dark", 40), ("light", 200)):
        (root / name).mkdir(parents=True)
        for k in range(3):
            img = np.full((4, 4), value, dtype=np.uint8)
            img[:2, :2] = value + 4 * k  # top-left quarter differs per image
            (root / name / f"{k}.png").write_bytes(grey_png(img))
    return root


def test_folder_becomes_an_image_dataset_with_the_right_pixels(tmp_path):
    payload = load_image_folder(make_folder(tmp_path), size=2)
    assert payload["class_names"] == ["dark", "light"]
    pixels = decode_array(payload["pixels"], "p", 4)
    assert pixels.shape == (6, 2, 2, 1)
    # Each new pixel is the mean of a 2 x 2 block; the top-left block is value + 4k.
    assert pixels[1, 0, 0, 0] == 44 and pixels[1, 1, 1, 0] == 40
    assert pixels[5, 0, 0, 0] == 208 and pixels[5, 0, 1, 0] == 200
    ds = load_embedded(payload, train_ratio=0.5, seed=1)
    assert ds.kind == "image" and ds.image_shape == (2, 2) and ds.n_features == 4
    X = np.vstack([ds.X_train, ds.X_test])
    # Inputs are darkness: 1 - value / 255.
    assert sorted(np.round((1 - X[:, 0]) * 255).astype(int)) == [40, 44, 48, 200, 204, 208]
    assert ds.n_train == 4  # 3 per class, half of 3 rounds up to 2


def test_colour_keeps_three_channels(tmp_path):
    payload = load_image_folder(make_folder(tmp_path), size=4, colour=True)
    ds = load_embedded(payload, 0.5, 0)
    assert ds.n_features == 4 * 4 * 3 and ds.image_shape == (4, 4, 3)


def test_folder_problems_name_the_file(tmp_path):
    root = make_folder(tmp_path)
    (root / "dark" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    with pytest.raises(DatasetError, match=r"dark/broken.png: damaged PNG"):
        load_image_folder(root)
    (root / "dark" / "broken.png").unlink()
    (root / "light" / "photo.jpg").write_bytes(b"\xff\xd8")
    with pytest.raises(DatasetError, match=r"light/photo.jpg: only PNG images"):
        load_image_folder(root)
    (root / "light" / "photo.jpg").unlink()
    with pytest.raises(DatasetError, match=r"shapes: 6 images, at most 5"):
        load_image_folder(root, max_images=5)
    (root / "light" / "big.png").write_bytes(png_bytes([b"\x00"], 5000, 5000, 0))
    with pytest.raises(DatasetError, match=r"light/big.png: 5000 x 5000 pixels"):
        load_image_folder(root)
