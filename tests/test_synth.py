"End-to-end tests of the synthetic characters and dataset (colorseg.synth_shapes, synth_render, synth) and the dataset readers (colorseg.data). CPU, seconds."
import csv

import numpy as np
import pytest
import torch

from colorseg.data import FolderDataset, make_dataset
from colorseg.images import read_image
from colorseg.regions import region_to_labels, region_to_skeleton
from colorseg.synth import SynthDataset, write_dataset
from colorseg.synth_render import colour_tag_report, make_sample
from colorseg.synth_shapes import CVT_PART, PARTS, PART_INDEX, PALETTE
from colorseg.tags import load_vocab

VOCAB = load_vocab()
KNOWN = set(VOCAB.cvt) | set(VOCAB.cit) | VOCAB.danbooru
SAMPLES = [make_sample(seed, 128) for seed in range(40)]
SAMPLES2 = [make_sample(seed, 128, version=2) for seed in range(40)]   # world 2 (colorseg.synth_world2)


def test_every_tag_is_in_the_vocabulary():
    for s in SAMPLES + SAMPLES2:
        assert [t for t in s.tags if t not in KNOWN] == [], s.seed
        assert len(s.tags) == len(set(s.tags)), s.seed
        assert {"1girl", "solo", "simple_background"} <= set(s.tags)


def test_colour_tags_match_the_painted_colours():
    checked = 0
    for s in SAMPLES + SAMPLES2:
        cvt = [t for t in s.tags if t in VOCAB.cvt and t != "gradient_background" and any(t.endswith("_" + k) for k in CVT_PART)]
        report = colour_tag_report(s)
        assert sorted(r[0] for r in report) == sorted(cvt), s.seed   # every CVT colour tag is checked
        for tag, part, mean, name in report:
            assert tag == f"{name}_{tag[len(name) + 1:]}", (s.seed, tag, part, mean, name)
            checked += 1
    assert checked > 400


def test_every_cvt_colour_tag_is_reachable():
    "Every colour of the palette names a CVT tag (fair skin excepted) and hair/eye colours vary over seeds."
    for kind, cols in PALETTE.items():
        for c in cols:
            if (kind, c) != ("skin", "fair"): assert f"{c}_{kind}" in VOCAB.cvt
    hair = {t for s in SAMPLES for t in s.tags if t.endswith("_hair") and t in VOCAB.cvt}
    assert len(hair) >= 10


def test_shape_tags_vary():
    tags = {t for s in SAMPLES for t in s.tags}
    for t in ("long_hair", "short_hair", "twintails", "ponytail", "bangs", "skirt", "dress", "full_body", "upper_body"):
        assert t in tags, t


def test_determinism_by_seed():
    a, b = make_sample(7, 96), make_sample(7, 96)
    for k in ("illustration", "lineart", "region", "labels", "skeleton", "parts"):
        np.testing.assert_array_equal(getattr(a, k), getattr(b, k))
    assert a.tags == b.tags
    assert not np.array_equal(a.illustration, make_sample(8, 96).illustration)


@pytest.mark.parametrize("size", [32, 64, 256])
def test_shapes_and_dtypes(size):
    s = make_sample(3, size)
    assert s.illustration.shape == (size, size, 3) and s.illustration.dtype == np.uint8
    assert s.region.shape == (size, size, 3) and s.region.dtype == np.uint8
    assert s.lineart.shape == (size, size) and s.lineart.dtype == np.uint8 and s.lineart.max() == 255
    assert s.labels.shape == (size, size) and s.labels.dtype == np.int32 and s.labels.min() == 1
    assert s.skeleton.shape == (size, size) and s.skeleton.dtype == np.uint8
    assert s.parts.shape == (size, size) and s.parts.dtype == np.uint8 and s.parts.max() < len(PARTS)


def test_regions_labels_parts_skeleton_are_consistent():
    for s in SAMPLES[:10] + SAMPLES2[:10] + [make_sample(11, 256), make_sample(11, 256, version=2)]:
        np.testing.assert_array_equal(s.labels, region_to_labels(s.region))   # distinct regions, distinct colours
        np.testing.assert_array_equal(s.skeleton, region_to_skeleton(s.region))
        pairs = np.unique(s.labels.astype(np.int64) * 256 + s.parts)
        assert len(pairs) == s.labels.max(), s.seed   # each region lies in exactly one part
        assert (s.parts == PART_INDEX["background"]).any() and (s.parts == PART_INDEX["hair"]).any()


def test_line_art_is_not_just_the_region_borders():
    s = make_sample(0, 256)
    lines = s.lineart < 128
    border = np.zeros_like(lines)
    border[:, 1:] |= s.labels[:, 1:] != s.labels[:, :-1]; border[1:] |= s.labels[1:] != s.labels[:-1]
    near = border.copy()
    for _ in range(2): near[1:] |= near[:-1].copy(); near[:-1] |= near[1:].copy(); near[:, 1:] |= near[:, :-1].copy(); near[:, :-1] |= near[:, 1:].copy()
    assert (lines & ~near).sum() > 50        # interior strokes away from every region border
    assert (border & ~(s.lineart < 250)).sum() > 5   # some borders are left open


def test_synth_dataset_items():
    ds = SynthDataset("test", n=2, size=64, cache=True)
    it = ds[0]
    assert it["lineart"].shape == (1, 64, 64) and it["color"].shape == (3, 64, 64) and it["skeleton"].shape == (1, 64, 64)
    assert it["labels"].dtype == torch.int64 and it["parts"].dtype == torch.int64
    assert it["cit"].shape == (len(VOCAB.cit),) and it["cvt"].shape == (len(VOCAB.cvt),)
    assert it["lineart"].min() >= -1 and it["color"].max() <= 1 and 0 <= it["skeleton"].min() <= it["skeleton"].max() <= 1
    assert ds[0] is it and ds.sample(1).seed == 20_000_001
    with pytest.raises(IndexError): ds[2]
    train, val = SynthDataset("train", n=1, size=64), SynthDataset("val", n=1, size=64)
    assert not torch.equal(train[0]["color"], val[0]["color"])   # disjoint seed ranges


def test_write_dataset_reads_back_as_the_synthetic_items(tmp_path):
    grid = tmp_path / "figures" / "grid.png"
    index = write_dataset(tmp_path / "set", 5, size=64, split_fracs=(.6, .2, .2), grid=grid)
    rows = list(csv.DictReader(index.read_text().splitlines()))
    assert [r["split"] for r in rows] == ["train"] * 3 + ["val", "test"]
    assert {"id", "split", "seed", "tags", "image", "lineart", "region", "skeleton", "parts"} <= set(rows[0])
    assert read_image(grid).shape[0] > 500
    fd, sd = FolderDataset(tmp_path / "set", "train"), SynthDataset("train", n=3, size=64)
    assert len(fd) == 3
    for i in range(3):
        a, b = fd[i], sd[i]
        assert set(a) == set(b)
        for k in a:
            assert (torch.equal(a[k], b[k]) if torch.is_tensor(a[k]) else a[k] == b[k]), k
    assert make_dataset(str(tmp_path / "set"), "test", 32)[0]["color"].shape == (3, 32, 32)
    assert isinstance(make_dataset("synth", "val", 32, n=4), SynthDataset)
    index2 = write_dataset(tmp_path / "set2", 2, size=64, split_fracs=(1, 0, 0), version=2)   # world 2 writes and reads back the same way
    a, b = FolderDataset(index2.parent, "train")[1], SynthDataset("train", n=2, size=64, version=2)[1]
    assert torch.equal(a["lineart"], b["lineart"]) and torch.equal(a["parts"], b["parts"]) and not torch.equal(a["lineart"], sd[1]["lineart"])


def test_folder_dataset_errors_name_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="index.csv"):
        FolderDataset(tmp_path)
    write_dataset(tmp_path, 2, size=32, split_fracs=(1, 0, 0))
    with pytest.raises(ValueError, match="splits present"):
        FolderDataset(tmp_path, "val")
    bad = next(tmp_path.glob("*.image.png")); bad.write_bytes(b"garbage")
    with pytest.raises(ValueError, match=bad.name):
        FolderDataset(tmp_path, "train")[0]
    with pytest.raises(FileNotFoundError, match="nor a folder"):
        make_dataset(str(tmp_path / "missing"), "train", 32)

