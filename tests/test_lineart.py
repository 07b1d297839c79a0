"""End-to-end tests of colorseg.lineart on the real sketchKeras example (CPU, < 1 s)."""
import numpy as np
import pytest
from PIL import Image

from colorseg.images import read_image, shared_data
from colorseg.lineart import LINEART_METHODS, extract_lineart, line_f_score, line_prf

# Measured on test1 at tol=2 px, threshold=128 with the default parameters (see nbs/02_lineart.ipynb):
# highpass F=0.949, xdog F=0.952. The bounds are those values minus 0.02.
F_BOUNDS = {"highpass": 0.93, "xdog": 0.93}


@pytest.fixture(scope="module")
def test1():
    "sketchKeras's test1: the colour image and its sketchKeras 'enhanced' line art, aligned pixel for pixel."
    raw = read_image(shared_data("real", "sketchkeras", "test1.raw.jpg"))
    ref = read_image(shared_data("real", "sketchkeras", "test1.sketchkeras_enhanced.jpg"), mode="L")
    if ref.shape != raw.shape[:2]:  # both are 442x512 today; align explicitly should either change
        ref = np.asarray(Image.fromarray(ref).resize((raw.shape[1], raw.shape[0]), Image.BILINEAR))
    return raw, ref


@pytest.mark.parametrize("method", sorted(F_BOUNDS))
def test_f_score_against_sketchkeras(test1, method):
    raw, ref = test1
    la = extract_lineart(raw, method)
    assert la.shape == raw.shape[:2] and la.dtype == np.uint8
    p, r, f = line_prf(la, ref, tol=2)
    assert f > F_BOUNDS[method], f"{method}: F={f:.3f} (P={p:.3f}, R={r:.3f}) below {F_BOUNDS[method]}"
    assert (la == 255).mean() > 0.8, "line art should be mostly white paper"


def test_every_method_is_tested():
    assert set(F_BOUNDS) == set(LINEART_METHODS)


def test_known_answers(test1):
    _, ref = test1
    blank = np.full_like(ref, 255)
    assert line_f_score(ref, ref) == 1.0
    assert line_f_score(ref, blank) == 0.0 and line_f_score(blank, ref) == 0.0
    assert line_f_score(blank, blank) == 1.0
    # a 2 px shift is within tolerance 2 for every pixel, so precision and recall are both ~1
    assert line_f_score(np.roll(ref, 2, axis=1), ref, tol=2) > 0.99
    assert line_f_score(np.roll(ref, 5, axis=1), ref, tol=2) < 0.9


def test_bad_inputs(test1):
    raw, ref = test1
    with pytest.raises(ValueError, match="available: highpass, xdog"):
        extract_lineart(raw, "net")
    with pytest.raises(ValueError, match=r"shape \(H, W, 3\)"):
        extract_lineart(ref)
    with pytest.raises(ValueError, match="float32"):
        extract_lineart(raw.astype(np.float32) / 255)
    with pytest.raises(ValueError, match="empty"):
        extract_lineart(raw[:0])
    with pytest.raises(TypeError, match="it takes"):
        extract_lineart(raw, "highpass", eps=0.3)
    with pytest.raises(ValueError, match="differ in size"):
        line_f_score(ref[:-1], ref)
