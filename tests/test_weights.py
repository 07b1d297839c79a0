"The shipped default weights: present, small, checked against the manifest, used without a checkpoint, and they follow the tags."
import json, subprocess
import numpy as np
import pytest

from conftest import CLI, ROOT

from colorseg.colorize import colorize, load_colorizer
from colorseg.images import read_image, shared_data
from colorseg.metrics import part_tag_hits
from colorseg.synth import SynthDataset
from colorseg.tags import load_vocab
from colorseg.images import to_image
from colorseg.weights import DEFAULT_COLORIZER, read_manifest, sha256, weights_dir

WEIGHTS = ROOT / "weights"
LINER = shared_data("real", "tag2pix", "liner_40.png")


def test_manifest_lists_every_shipped_file_with_its_sha256():
    m = read_manifest(WEIGHTS)
    files = sorted(p.name for p in WEIGHTS.glob("*.pt"))
    assert DEFAULT_COLORIZER in files and sorted(m) == files
    total = 0
    for name in files:
        p = WEIGHTS / name
        assert m[name]["sha256"] == sha256(p) and m[name]["bytes"] == p.stat().st_size
        assert p.stat().st_size <= 10 * 2**20, f"{name} is over 10 MB"
        total += p.stat().st_size
        rec = p.with_suffix("")   # the run record beside it
        for f in ("config.json", "val.csv", "metrics.json"): assert (rec / f).exists(), rec / f
    assert total <= 40 * 2**20


def test_default_weights_follow_the_tags_on_held_out_samples():
    "The shipped parts model on 16 test-split samples (never trained on): most colour tags land on their part."
    model, vocab = load_colorizer(), load_vocab()
    assert model.cfg.fusion == "parts"
    ds = SynthDataset("test", 16, model.cfg.image_size)
    hits = []
    for i in range(len(ds)):
        it = ds[i]
        la, tags = to_image(it["lineart"]), vocab.decode(cvt=it["cvt"].numpy())
        hits += [h for *_, h in part_tag_hits(model(la, tags)["color"], it["parts"].numpy(), tags, la < 128)]
    assert len(hits) >= 40 and np.mean(hits) >= 0.7, (np.mean(hits), len(hits))


def test_swapping_a_tag_changes_that_part():
    "Swap the hair colour tag of a test sample: the hair follows, the rest of the picture stays close."
    model, vocab = load_colorizer(), load_vocab()
    s = SynthDataset("test", 1, model.cfg.image_size)
    it = s[0]; la, tags = to_image(it["lineart"]), vocab.decode(cvt=it["cvt"].numpy())
    hair = [t for t in tags if t.endswith("_hair") and t != "long_hair"]
    new = [t if t not in hair else ("green_hair" if t != "green_hair" else "pink_hair") for t in tags] + ([] if hair else ["green_hair"])
    out = model(la, new)["color"]
    got = [h for t, _, h in part_tag_hits(out, it["parts"].numpy(), new, la < 128) if t.endswith("_hair")]
    assert got == [True]


def test_colorize_and_cli_work_without_a_checkpoint(tmp_path):
    out = colorize(read_image(LINER, "RGBA")[::4, ::4], "blonde_hair blue_eyes white_shirt")
    assert out.shape == (306, 306, 3) and out.std() > 5
    dst = tmp_path / "o.png"
    r = subprocess.run([CLI, "colorize", str(LINER), "--tags", "red_hair green_eyes", "-o", str(dst)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert read_image(dst).shape == (1224, 1224, 3)


def test_a_damaged_weights_file_is_a_clear_error(tmp_path, monkeypatch):
    import shutil
    d = tmp_path / "w"; shutil.copytree(WEIGHTS, d)
    with open(d / DEFAULT_COLORIZER, "r+b") as f: f.seek(-100, 2); f.write(b"\0" * 100)
    monkeypatch.setenv("COLORSEG_WEIGHTS", str(d))
    with pytest.raises(ValueError, match="does not match its sha256"):
        load_colorizer()
    r = subprocess.run([CLI, "colorize", str(LINER), "--tags", "red_hair", "-o", str(tmp_path / "x.png")], capture_output=True, text=True,
                       env={**__import__("os").environ, "COLORSEG_WEIGHTS": str(d)})
    assert r.returncode == 2 and "make weights" in r.stderr
