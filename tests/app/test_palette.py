"""Palette: LUT shape and ordering, value -> colour, notifier."""

import numpy as np
import pytest

from neuroviz.app import palette


def test_every_palette_has_a_256_entry_uint8_lut():
    for name, pal in palette.PALETTES.items():
        lut = pal.lut()
        assert lut.shape == (256, 4) and lut.dtype == np.uint8, name
        assert (lut[:, 3] == 255).all()
        assert pal.lut32().shape == (256,) and pal.lut32().dtype == np.uint32


def test_default_is_orange_negative_blue_positive_grey_zero():
    pal = palette.PALETTES["default"]
    neg, pos, mid = pal.colour(-1.0), pal.colour(1.0), pal.colour(0.0)
    assert neg.red() > neg.blue() + 100  # orange
    assert pos.blue() > pos.red() + 100  # blue
    assert max(mid.red(), mid.green(), mid.blue()) - min(mid.red(), mid.green(), mid.blue()) < 12
    # clipping and NaN safety
    assert pal.colour(-50.0) == neg and pal.colour(50.0, vmax=2.0) == pos
    assert pal.colour(float("nan")) == pal.colour(0.0)


def test_value_to_index_is_monotonic_and_symmetric():
    idx = palette.value_to_index(np.linspace(-2, 2, 101), vmax=2.0).astype(int)
    assert (np.diff(idx) >= 0).all() and idx[0] == 0 and idx[-1] == 255
    assert abs(int(palette.value_to_index(np.array([0.0]))[0]) - 127.5) <= 0.5
    assert palette.value_to_index(np.array([np.nan, np.inf, -np.inf])).tolist() == [127, 255, 0]


def test_lut32_matches_rgba_lut():
    pal = palette.PALETTES["high_contrast"]
    rgba, argb = pal.lut().astype(np.uint32), pal.lut32()
    assert (((argb >> 16) & 0xFF) == rgba[:, 0]).all()
    assert ((argb & 0xFF) == rgba[:, 2]).all()


def test_binary_class_colours_match_the_diverging_ends():
    pal = palette.PALETTES["default"]
    rgb = pal.class_rgb(2)
    assert (rgb[0] == pal.lut()[0, :3]).all() and (rgb[1] == pal.lut()[255, :3]).all()
    assert pal.class_rgb(10).shape == (10, 3)
    assert len({tuple(c) for c in pal.class_rgb(3)}) == 3


def test_set_palette_notifies_and_rejects_unknown_names(qtbot):
    try:
        with qtbot.waitSignal(palette.notifier.palette_changed, timeout=60_000) as blocker:
            palette.set_palette("high_contrast")
        assert blocker.args == ["high_contrast"]
        assert palette.current_palette().name == "high_contrast"
        with pytest.raises(ValueError, match="default"):
            palette.set_palette("rainbow")
    finally:
        palette.set_palette("default")
