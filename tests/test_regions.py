"End-to-end checks of colorseg.regions on DanbooRegion's real region and skeleton maps."
import numpy as np
import pytest
from scipy import ndimage as ndi

from colorseg.images import read_image, shared_data
from colorseg.regions import (adjusted_rand_index, align_to, boundary_f_score, danbooregion_skeleton, harmonic_fill,
                              labels_to_region, region_edges, region_to_labels, region_to_skeleton, skeleton_to_region)


def _data(name, mode="RGB"):
    return read_image(shared_data("real", "danbooregion", name), mode)


def _voronoi(n, size, seed=0):
    seeds = np.zeros((size, size), np.int32)
    seeds.flat[np.random.default_rng(seed).choice(size * size, n, replace=False)] = np.arange(1, n + 1)
    i, j = ndi.distance_transform_edt(seeds == 0, return_distances=False, return_indices=True)
    return seeds[i, j]


@pytest.fixture(scope="module")
def robot():
    return _data("robot.region.png", "RGBA")


@pytest.fixture(scope="module")
def robot_skeleton(robot):
    return region_to_skeleton(robot)


def test_robot_matches_danbooregion_skeleton(robot_skeleton):
    ref = _data("robot.skeleton.png", "L")
    r = np.corrcoef(robot_skeleton.ravel(), ref.ravel())[0, 1]
    assert r >= 0.93, f"correlation with DanbooRegion's skeleton_test.png is {r:.4f} (measured 0.952)"


def test_robot_round_trip(robot, robot_skeleton):
    gt, rec = region_to_labels(robot), skeleton_to_region(robot_skeleton)
    assert adjusted_rand_index(gt, rec) >= 0.97  # measured 0.987
    assert boundary_f_score(rec, gt) >= 0.98  # measured 0.999
    np.testing.assert_array_equal(np.unique(rec), np.arange(1, rec.max() + 1))


def test_x_round_trip():
    region, image = _data("X.region.png"), _data("X.image.jpg")
    assert (region.shape[1], image.shape[1]) == (1821, 1820)
    region = align_to(region, image.shape, offset=(0, 1))  # the extra column is the first one (see the notebook)
    assert region.shape == image.shape
    gt = region_to_labels(region)
    rec = skeleton_to_region(region_to_skeleton(region))
    ari, f = adjusted_rand_index(gt, rec), boundary_f_score(rec, gt)
    assert ari >= 0.97, f"ARI {ari:.4f} (measured 0.979)"
    assert f >= 0.98, f"boundary F {f:.4f} (measured 0.992)"


def test_align_to_refuses_large_mismatch():
    with pytest.raises(ValueError, match="nearest-neighbour"):
        align_to(np.zeros((100, 110, 3), np.uint8), (100, 100, 3))
    with pytest.raises(ValueError, match="slack"):
        align_to(np.zeros((10, 11, 3), np.uint8), (10, 10), offset=(1, 0))


def test_multigrid_matches_exact_solve():
    reg = labels_to_region(_voronoi(12, 96, seed=3))
    e = region_edges(reg)
    sk = region_to_skeleton(reg)
    fixed = e | (sk == 255)
    exact = harmonic_fill(fixed, np.where(sk == 255, 255.0, 0.0), method="direct")
    assert np.abs(sk.astype(np.float32) - exact).max() <= 1.0


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
    (np.zeros((8, 8, 2), np.uint8), r"\(H, W, 3\)"),
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


def test_unreadable_region_file(tmp_path):
    bad = tmp_path / "broken.region.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    with pytest.raises(ValueError, match="broken.region.png"):
        region_to_skeleton(read_image(bad))
