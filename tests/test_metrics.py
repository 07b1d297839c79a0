"Metrics end to end: FID's Inception path from a local file (never a download), FID-cs, and evaluate_checkpoint on a trained run."
import math, shutil
import numpy as np
import pytest
import torch
from pytorch_fid import inception as pfi
from pytorch_fid.fid_score import get_activations

from colorseg import evaluate as E
from colorseg import metrics as M
from colorseg.tagnet import TagNetConfig, feature_net as load_feature_net, train_tagnet
from colorseg.images import save_image, to_image
from colorseg.synth import SynthDataset, SPLITS
from colorseg.synth_render import make_sample


@pytest.fixture(autouse=True)
def no_downloads(monkeypatch):
    "Any attempt to fetch weights fails the test."
    def boom(*a, **k): raise AssertionError("a download was attempted")
    monkeypatch.setattr(pfi, "load_state_dict_from_url", boom)
    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", boom)
    monkeypatch.setattr(torch.hub, "download_url_to_file", boom)


@pytest.fixture(scope="module")
def random_inception(tmp_path_factory):
    "A randomly initialised FID-structure Inception saved as a weights file (stands in for the real 92 MB file)."
    torch.manual_seed(0)
    net = E.fid_inception_structure()
    path = tmp_path_factory.mktemp("inception") / "random_fid_inception.pth"
    torch.save(net.state_dict(), path)
    return path, net.state_dict()


@pytest.fixture(scope="module")
def feature_net(tmp_path_factory):
    "An FID-cs feature net trained briefly at 32 px."
    d = tmp_path_factory.mktemp("fnet")
    tr, va = SynthDataset("train", n=128, size=32, cache=True), SynthDataset("val", n=4, size=32, cache=True)
    return train_tagnet(TagNetConfig(image_size=32, max_steps=32, batch_size=8, width=4, device="cpu", progress=False, out_dir=str(d / "run")), tr, va)


def test_inception_loads_local_weights_and_matches_pytorch_fid(random_inception, tmp_path, monkeypatch):
    path, state = random_inception
    model = E.load_inception(path)
    assert isinstance(model, pfi.InceptionV3)
    loaded = {k[len("blocks."):]: v for k, v in model.state_dict().items()}
    assert any(torch.equal(v, state["Conv2d_1a_3x3.conv.weight"]) for v in loaded.values())  # our weights, not random ones
    rng = np.random.default_rng(0)
    imgs = [rng.integers(0, 256, (40, 56, 3), dtype=np.uint8) for _ in range(3)]
    files = []
    for i, im in enumerate(imgs): save_image(im, tmp_path / f"{i}.png"); files.append(str(tmp_path / f"{i}.png"))
    ours = E.image_features(imgs, model)
    theirs = get_activations(files, model, batch_size=3, dims=2048, device="cpu", num_workers=0)  # pytorch-fid's own preprocessing
    assert ours.shape == (3, 2048)
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5)
    monkeypatch.setenv("COLORSEG_INCEPTION", str(path))  # the env var is the default location
    assert E.inception_path() == path


def test_inception_errors_are_clear(random_inception, tmp_path):
    path, _ = random_inception
    with pytest.raises(FileNotFoundError, match=E.INCEPTION_FILE):
        E.load_inception(tmp_path / "missing" / E.INCEPTION_FILE)
    official = tmp_path / E.INCEPTION_FILE  # right name, wrong content: the hash check catches it
    shutil.copy(path, official)
    with pytest.raises(ValueError, match="SHA-256"):
        E.load_inception(official)
    other = tmp_path / "other.pth"; torch.save({"w": torch.zeros(3)}, other)
    with pytest.raises(ValueError, match="does not hold FID Inception weights"):
        E.load_inception(other)


def test_fid_cs_known_answers(feature_net):
    net = load_feature_net(feature_net)
    ds = SynthDataset("test", n=48, size=32)
    imgs = [to_image(ds[i]["color"]) for i in range(48)]
    f = E.image_features(imgs, net)
    assert f.shape == (48, net.dim)
    assert M.fid_kid(f, f)["fid"] == pytest.approx(0, abs=1e-6)
    # at equal N (FID is biased by N): half A against half B of the same distribution, then against B recoloured
    same = M.fid_kid(f[:24], f[24:])
    inv = M.fid_kid(f[:24], E.image_features([255 - im for im in imgs[24:]], net))
    assert inv["fid"] > same["fid"] > 0 and inv["kid"] > 2 * same["kid"]


def test_merge_rate_catches_a_smear_on_a_synthetic_character():
    s = make_sample(SPLITS["test"] + 5, 64)
    lines = s.lineart < 128
    assert M.merge_stats(s.illustration, s.illustration, s.labels, lines)[0] == 0
    # a perfectly flat prediction (each region its ground-truth median colour) scores 0 inconsistency, 0 merges
    ids, med = M.region_medians(s.illustration.astype(float), s.labels)
    lut = np.zeros((s.labels.max() + 1, 3)); lut[ids] = med
    flat = lut[s.labels].round().astype(np.uint8)
    assert M.region_inconsistency(flat, s.labels, lines) == pytest.approx(0, abs=1e-6)
    assert M.merge_stats(flat, s.illustration, s.labels, lines)[0] == 0
    # smear one region's colour over a clearly different neighbour: caught
    merged0, eligible = M.merge_stats(s.illustration, s.illustration, s.labels, lines)
    assert eligible > 3
    from skimage.color import rgb2lab, deltaE_ciede2000
    ids, lab = M.region_medians(rgb2lab(s.illustration), s.labels, ~lines)
    pos = {int(i): k for k, i in enumerate(ids)}
    area = np.bincount(s.labels[~lines].ravel())
    a, b = next((int(a), int(b)) for a, b in M.region_adjacency(s.labels)
                if area[a] >= 8 and area[b] >= 8 and deltaE_ciede2000(lab[pos[a]], lab[pos[b]]) > M.MERGE_DISTINCT)
    smear = s.illustration.copy(); smear[s.labels == b] = s.illustration[s.labels == a][0]
    smear[s.labels == a] = s.illustration[s.labels == a][0]
    assert M.merge_stats(smear, s.illustration, s.labels, lines)[0] >= 1


def test_evaluate_checkpoint(tiny_run, feature_net, random_inception):
    path, _ = random_inception
    r = E.evaluate_checkpoint(tiny_run / "last.pt", n=4, fid="inception", inception=path, feature_net=feature_net, kid_subsets=10)
    assert r["n"] == 4 and r["split"] == "test" and r["fusion"] == "dual" and r["size"] == 32
    for k in ("fid", "kid", "fid_cs", "kid_cs", "region_de", "region_de2000", "contrast", "l1"):
        assert math.isfinite(r[k]), k
    assert r["fid"] >= 0 and r["fid_cs"] >= 0 and "InceptionV3" in r["fid_note"]
    assert r["feature_net"] == load_feature_net(feature_net).sha
    for k in ("merge_rate", "tag_acc_parts", "tag_acc_parts_gt", "tag_acc_cls", "tag_acc_cls_gt"):
        assert 0 <= r[k] <= 1, k
    assert r["region_de_gt"] < 15  # the ground truth is nearly flat per region (cel shading only)
    md = E.metrics_table([r], ["dual"])
    assert "| dual |" in md and "FID ↓" in md and "not comparable with published FID" in md


def test_evaluate_checkpoint_without_inception(tiny_run, tmp_path):
    with pytest.warns(UserWarning, match=E.INCEPTION_FILE):
        r = E.evaluate_checkpoint(tiny_run / "last.pt", n=2, inception=tmp_path / "none.pth", feature_net="off")
    assert math.isnan(r["fid"]) and math.isnan(r["fid_cs"]) and "FID not computed" in r["fid_note"]
    with pytest.raises(FileNotFoundError, match=E.INCEPTION_FILE):
        E.evaluate_checkpoint(tiny_run / "last.pt", n=2, fid="inception", inception=tmp_path / "none.pth", feature_net="off")
