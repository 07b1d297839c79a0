"""End-to-end tests of colorseg.prepare on a fixture assembled from the shared real images (CPU, 64 px)."""
import csv, json, os, warnings
from pathlib import Path

import numpy as np
import pytest
import torch

from colorseg.data import FolderDataset, make_dataset
from colorseg.images import read_image
from colorseg.danbooru import FILTERS
from colorseg.prepare import FILES, make_fixture, prepare

OPTS = dict(size=64, min_side=256)  # the fixture's small image (224 px) must fail min_size


def _quiet_prepare(*a, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the random-LPIPS-backbone warning (no AlexNet weights offline)
        return prepare(*a, progress=False, **kw)


@pytest.fixture(scope="module")
def fixture(tmp_path_factory):
    d = tmp_path_factory.mktemp("prepare")
    src, meta = make_fixture(d)
    return src, meta, d


@pytest.fixture(scope="module")
def prepared(fixture):
    "The fixture prepared once with a process pool of 2 workers."
    src, meta, d = fixture
    out = d / "out"
    return out, _quiet_prepare(src, out, meta, workers=2, **OPTS)


def _index(out):
    with open(out / "index.csv", newline="") as f: return list(csv.DictReader(f))


def test_filter_summary(prepared):
    out, s = prepared
    assert s["filtered"] == {name: 1 for name in FILTERS}  # the fixture has one image for each rule
    assert list(s["filtered"]) == list(FILTERS)
    assert (s["items"], s["missing"], s["corrupt"], s["errors"], s["duplicates"], s["kept"]) == (13, 1, 2, 0, 1, 3)
    assert s["lpips_backbone"].startswith("random") and s["dedup_threshold"] == 0.01
    assert s["skeleton_source"] == {"lineart": 2, "region": 1}
    assert (s["processed"], s["resumed"]) == (4, 0)
    assert json.loads((out / "summary.json").read_text()) == s


def test_corrupt_and_missing_are_logged_with_their_paths(prepared, fixture):
    out, s = prepared
    src = fixture[0]
    assert sorted(s["corrupt_files"]) == [str(src / "111.jpg"), str(src / "112.png")]
    log = (out / "prepare.log").read_text()
    assert str(src / "111.jpg") in log and str(src / "112.png") in log and "id 113" in log


def test_duplicate_is_the_reencoded_copy(prepared):
    out, _ = prepared
    with open(out / "duplicates.csv", newline="") as f: dups = list(csv.DictReader(f))
    assert [(d["id"], d["duplicate_of"]) for d in dups] == [("104", "101")]
    assert float(dups[0]["lpips"]) < 0.01


def test_layout_matches_synth_and_reads_back(prepared):
    out, _ = prepared
    rows = _index(out)
    assert list(rows[0]) == ["id", "split", "tags", "image", "lineart", "region", "skeleton", "source", "skeleton_source"]
    assert [r["id"] for r in rows] == ["101", "102", "103"]
    for r in rows:
        for k in FILES:
            assert r[k] == f"{r['id']}.{k}.png"
            a = read_image(out / r[k], "RGB" if k in ("image", "region") else "L")
            assert a.shape[:2] == (64, 64)
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")], "no temporary (half-written) files may remain"
    ds = FolderDataset(out, split=None)
    assert len(ds) == 3
    item = ds[1]
    assert item["color"].shape == (3, 64, 64) and item["lineart"].shape == (1, 64, 64) and item["skeleton"].shape == (1, 64, 64)
    assert item["labels"].max() > 1
    for split in {r["split"] for r in rows}:
        ds = make_dataset(str(out), split, 32)
        assert ds[0]["color"].shape == (3, 32, 32)


def test_resume_skips_finished_items(prepared, fixture):
    out, _ = prepared
    src, meta, _ = fixture
    mtimes = {p: p.stat().st_mtime_ns for p in out.glob("*.png")}
    s = _quiet_prepare(src, out, meta, workers=0, **OPTS)
    assert (s["processed"], s["resumed"], s["kept"]) == (0, 4, 3)
    assert {p: p.stat().st_mtime_ns for p in out.glob("*.png")} == mtimes  # nothing rewritten
    # an item whose record is missing (a run killed after its PNGs, before its record) is redone, alone
    (out / ".prepare" / "103.json").unlink()
    s = _quiet_prepare(src, out, meta, workers=0, **OPTS)
    assert (s["processed"], s["resumed"]) == (1, 3)
    # de-duplication is recomputed from the finished items: a new threshold re-does no image work
    s = _quiet_prepare(src, out, meta, workers=0, dedup_threshold=0, **OPTS)
    assert (s["processed"], s["duplicates"], s["kept"], s["lpips_backbone"]) == (0, 0, 4, "not used")
    _quiet_prepare(src, out, meta, workers=0, **OPTS)  # back to the default state for the other tests
    with pytest.raises(ValueError, match="lineart='highpass' there but 'xdog' now"):
        _quiet_prepare(src, out, meta, workers=0, lineart="xdog", **OPTS)


def test_lineart_method_and_skeleton_net(fixture, tmp_path):
    from colorseg.skeleton_train import SkeletonConfig, train_skeleton
    src, meta, _ = fixture
    run, _ = train_skeleton(SkeletonConfig(image_size=32, n_train=8, n_val=2, batch_size=4, epochs=1, max_steps=2,
                                           device="cpu", progress=False, out_dir=str(tmp_path / "skel")))
    out = tmp_path / "out"
    s = _quiet_prepare(src, out, meta, workers=0, lineart="xdog", skeleton_ckpt=run / "last.pt", dedup_threshold=0, **OPTS)
    assert s["skeleton_source"] == {"net": 4} and s["config"]["lineart"] == "xdog"
    assert {r["skeleton_source"] for r in _index(out)} == {"net"}


def test_lpips_weights_from_a_local_file(fixture, tmp_path):
    import torchvision
    src, meta, _ = fixture
    with torch.random.fork_rng():
        torch.manual_seed(0)
        feats = torchvision.models.alexnet(weights=None).features.state_dict()
    alex = tmp_path / "alexnet.pth"
    torch.save({f"features.{k}": v for k, v in feats.items()}, alex)  # a stand-in with torchvision's keys
    s = _quiet_prepare(src, tmp_path / "out", meta, workers=0, lpips_weights=alex, **OPTS)
    assert s["lpips_backbone"] == f"alexnet:{alex}" and s["dedup_threshold"] == 0.1


def test_bad_options(fixture, tmp_path, monkeypatch):
    src, meta, _ = fixture
    monkeypatch.delenv("COLORSEG_LINEART_NET", raising=False)
    with pytest.raises(FileNotFoundError, match="make lineart-net"):
        prepare(src, tmp_path / "o", meta, lineart="net", workers=0, progress=False)
    with pytest.raises(ValueError, match="choose one of"):
        prepare(src, tmp_path / "o", meta, lineart="pencil", progress=False)
    with pytest.raises(FileNotFoundError, match="no such file"):
        prepare(src, tmp_path / "o", meta, skeleton_ckpt=tmp_path / "none.pt", progress=False)
    with pytest.raises(FileNotFoundError, match="metadata file"):
        prepare(src, tmp_path / "o", tmp_path / "none.jsonl", progress=False)
    assert not (tmp_path / "o").exists(), "bad options must fail before anything is written"


def test_cli_prepare(fixture, tmp_path):
    import subprocess
    from conftest import CLI
    src, meta, _ = fixture
    r = subprocess.run([CLI, "prepare", str(src), str(tmp_path / "out"), "--meta", str(meta), "--size", "64", "--min-side", "256",
                        "--workers", "0", "--no-progress"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert len(_index(tmp_path / "out")) == 3  # the same 3 kept items as the library call
    r = subprocess.run([CLI, "prepare", str(src), str(tmp_path / "o2"), "--meta", str(tmp_path / "none.jsonl")], capture_output=True, text=True)
    assert r.returncode == 2 and "none.jsonl" in r.stderr and "Traceback" not in r.stderr
