"colorseg.regions beyond the notebook's own checks: determinism against DanbooRegion's random start, Voronoi round trips, edge cases and bad inputs (the real robot and X maps are checked in nbs/01_regions.ipynb)."
import numpy as np
import pytest
from scipy import ndimage as ndi

from colorseg.regions import (adjusted_rand_index, align_to, boundary_f_score, danbooregion_skeleton, harmonic_fill,
                              labels_to_region, region_edges, region_to_labels, region_to_skeleton, skeleton_to_region)


def _voronoi(n, size, seed=0):
    seeds = np.zeros((size, size), np.int32)
    seeds.flat[np.random.default_rng(seed).choice(size * size, n, replace=False)] = np.arange(1, n + 1)
    i, j = ndi.distance_transform_edt(seeds == 0, return_distances=False, return_indices=True)
    return seeds[i, j]


def test_converged_unlike_danbooregion_loop():
    "Our answer is deterministic; DanbooRegion's depends on its random start."
    reg = labels_to_region(_voronoi(6, 128, seed=1))
    a, b = danbooregion_skeleton(reg, seed=0), danbooregion_skeleton(reg, seed=1)
    assert not np.array_equal(a, b)
    np.testing.assert_array_equal(region_to_skeleton(reg), region_to_skeleton(reg.copy()))


def test_voronoi_round_trip():
    lab = _voronoi(20, 256, seed=2)
    rec = skeleton_to_region(region_to_skeleton(labels_to_region(lab)))
    assert rec.max() == 20
    assert adjusted_rand_index(lab, rec) >= 0.97
    assert boundary_f_score(rec, lab) >= 0.99


def test_documented_edge_cases():
    one = np.full((32, 48, 3), 200, np.uint8)  # one region: a valid skeleton, recovered as one region
    sk = region_to_skeleton(one)
    assert sk.max() == 255 and sk[0].max() == 0
    assert (skeleton_to_region(sk) == 1).all()
    assert (skeleton_to_region(np.zeros((16, 16), np.uint8)) == 1).all()  # all-zero skeleton: one label


@pytest.mark.parametrize("bad, match", [
    (np.zeros((8, 8), np.uint8), "labels_to_region"),  # greyscale / labels, not a region map
    (np.zeros((8, 8, 2), np.uint8), r"\(H, W, 3\|4\)"),
    (np.zeros((8, 8, 3), np.float32), "uint8"),
    (np.zeros((0, 8, 3), np.uint8), "empty"),
])
def test_bad_region_inputs(bad, match):
    with pytest.raises(ValueError, match=match):
        region_to_skeleton(bad)


def test_bad_skeleton_inputs():
    with pytest.raises(ValueError, match="mode='L'"):
        skeleton_to_region(np.random.default_rng(0).integers(0, 255, (8, 8, 3), dtype=np.uint8))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        skeleton_to_region(np.full((8, 8), 200.0))
    with pytest.raises(TypeError, match="numpy"):
        skeleton_to_region([[0, 255]])
