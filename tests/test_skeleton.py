"Skeleton net end to end: the papermill notebook, exact resume, tiled inference on a large image, the CLI function, and the concat fusion's skeleton source."
import numpy as np
import pandas as pd
import papermill as pm
import pytest
import torch

from colorseg.images import read_image, shared_data
from colorseg.skeleton_infer import SkeletonSource, load_skeleton_net, predict_skeleton, regions_cli
from colorseg.skeleton_train import SkeletonConfig, skeleton_dataset, train_skeleton, write_crop_pairs
from colorseg.train import load_checkpoint

X = shared_data("real", "danbooregion")
SMALL = dict(image_size=32, load_size=48, n_train=8, n_val=2, batch_size=4, epochs=1, device="cpu", progress=False)


@pytest.fixture(scope="module")
def pairs(tmp_path_factory):
    "Six 64 px crops of the DanbooRegion illustration X (region maps 1 px wider, as DanbooRegion's)."
    return write_crop_pairs(X / "X.image.jpg", X / "X.region.png", tmp_path_factory.mktemp("pairs"), n=6, size=64)


@pytest.fixture(scope="module")
def ckpt(pairs, tmp_path_factory):
    "A few-step line-art net (behaviour, not quality)."
    run, _ = train_skeleton(SkeletonConfig(data=str(pairs), **{**SMALL, "n_val": 1}, out_dir=str(tmp_path_factory.mktemp("run"))))
    return run / "last.pt"


def test_papermill_train_skeleton_notebook(root, tmp_path):
    out, nb = tmp_path / "run", tmp_path / "train.ipynb"
    pm.execute_notebook(str(root / "nbs/13_train_skeleton.ipynb"), str(nb), kernel_name="python3", cwd=str(root / "nbs"),
                        parameters=dict(SMALL, data="synth", out_dir=str(out)), progress_bar=False)
    cfg = SkeletonConfig.from_json(out / "config.json")
    assert cfg.image_size == 32 and cfg.data == "synth" and cfg.input == "lineart"
    for f in ("last.pt", "stats.csv", "val.csv", "loss_curves.png", "summary.csv", "real_X.csv", "log.txt", "samples/epoch_001.png"):
        assert (out / f).exists(), f
    summ = pd.read_csv(out / "summary.csv")
    assert 0 < summ.loc[0, "val_skel_l1"] < 1 and 0 < summ.loc[0, "val_gt_ari"] <= 1 and 0 <= summ.loc[0, "val_ari"] <= 1
    real = pd.read_csv(out / "real_X.csv")
    assert len(real) >= 2 and (real["regions"] == 641).all() and (real["gt_ari"] > 0.95).all()
    assert load_skeleton_net(out / "last.pt").input == "lineart"


def test_papermill_rejects_unknown_parameter(root, tmp_path):
    with pytest.raises(pm.PapermillExecutionError, match="did you mean 'epochs'"):
        pm.execute_notebook(str(root / "nbs/13_train_skeleton.ipynb"), str(tmp_path / "bad.ipynb"), kernel_name="python3",
                            cwd=str(root / "nbs"), parameters=dict(SMALL, epoch=3, out_dir=str(tmp_path / "r")), progress_bar=False)


def test_resume_is_exact_with_augmentation_and_critic(pairs, tmp_path):
    "K steps straight == K/2 steps, a stop, then resume: identical U-Net and critic weights (random crops included)."
    kw = dict(SMALL, data=str(pairs), n_val=1, batch_size=2, epochs=2, lambda_fm=1.0, lambda_adv=0.01)
    a, _ = train_skeleton(SkeletonConfig(**kw, out_dir=str(tmp_path / "a")))
    train_skeleton(SkeletonConfig(**kw, max_steps=3, out_dir=str(tmp_path / "b")))  # stops mid-epoch 2
    b, _ = train_skeleton(SkeletonConfig(**kw, resume=True, out_dir=str(tmp_path / "b")))
    sa, sb = load_checkpoint(a / "last.pt"), load_checkpoint(b / "last.pt")
    assert sa["step"] == sb["step"] == 4
    for net in ("net", "D"):
        for k, v in sa["modules"][net].items(): assert torch.equal(v, sb["modules"][net][k]), (net, k)


def test_synth_items_carry_exact_targets():
    it = skeleton_dataset("synth", "val", 48, n=2)[0]
    assert it["lineart"].shape == (1, 48, 48) and it["skeleton"].shape == (1, 48, 48) and it["labels"].shape == (48, 48)


def test_large_image_is_tiled_and_regions_cli_writes_both_maps(ckpt, tmp_path):
    img = read_image(X / "X.image.jpg", "L")[::2, ::2]  # 512 x 910: two tiles wide
    sk = predict_skeleton(img, ckpt, tile=512, overlap=64)
    assert sk.shape == img.shape and sk.dtype == np.uint8
    whole = predict_skeleton(img, ckpt, tile=1024)  # one padded pass
    assert np.abs(sk.astype(int) - whole).mean() < 4  # blended tiles ~ one pass (borders differ slightly)
    src = tmp_path / "Y.image.png"
    from colorseg.images import save_image
    save_image(img[:100, :130], src)
    region, skel = regions_cli(src, None, ckpt)
    assert (region.name, skel.name) == ("Y.region.png", "Y.skeleton.png")
    assert read_image(region).shape == (100, 130, 3) and read_image(skel, "L").shape == (100, 130)


def test_load_errors_name_the_fix(ckpt, tmp_path):
    with pytest.raises(FileNotFoundError, match="make skeleton"): load_skeleton_net(tmp_path / "missing.pt")
    torch.save({"kind": "colorseg.lfe", "config": {"width": 2, "n_cit": 3}, "state_dict": {}}, tmp_path / "lfe.pt")  # an old LFE file
    with pytest.raises(ValueError, match="expected a skeleton-net checkpoint"): load_skeleton_net(tmp_path / "lfe.pt")


def test_concat_colorizer_trains_on_predicted_skeletons(ckpt):
    "The skeleton source the lead wires into ColorizeTask: one train step with the frozen net's skeletons."
    from colorseg.config import ColorizeConfig
    from colorseg.tag2pix import ColorizeTask
    from colorseg.train import Runtime
    src = SkeletonSource("net", load_skeleton_net(ckpt)); fn = src.module
    before = {k: v.clone() for k, v in fn.state_dict().items()}
    cfg = ColorizeConfig(fusion="concat", skeleton_source="net", image_size=32, batch_size=2, lfe_path="off", device="cpu")
    task = ColorizeTask(Runtime(torch.device("cpu")), cfg, n_cit=370, n_cvt=115, skeleton=src)
    batch = dict(lineart=torch.rand(2, 1, 32, 32) * 2 - 1, color=torch.rand(2, 3, 32, 32) * 2 - 1,
                 skeleton=torch.zeros(2, 1, 32, 32), cit=torch.zeros(2, 370), cvt=torch.zeros(2, 115))
    stats = task.train_step(batch, epoch=0)
    assert np.isfinite(list(stats.values())).all()
    assert task.sample(batch)["skeleton"].shape == (2, 1, 32, 32)
    assert all(torch.equal(v, before[k]) for k, v in fn.state_dict().items())  # frozen


def test_concat_with_skeleton_net_end_to_end(ckpt, tmp_path):
    "train_colorizer(skeleton_source='net') -> the checkpoint carries the frozen net -> colorize uses it, no other file needed."
    import shutil
    from colorseg.colorize import colorize, load_colorizer
    from colorseg.config import ColorizeConfig
    from colorseg.tag2pix import train_colorizer
    net = tmp_path / "skeleton.pt"; shutil.copy(ckpt, net)
    cfg = ColorizeConfig(fusion="concat", skeleton_source="net", skeleton_path=str(net), image_size=32, n_train=8, n_val=2,
                      batch_size=4, seg_epochs=0, epochs=1, lfe_path="off", device="cpu", progress=False, out_dir=str(tmp_path / "run"))
    run, val = train_colorizer(cfg)
    net.unlink()  # inference must not need the original skeleton-net file
    model = load_colorizer(run / "last.pt")
    assert model.skeleton.kind == "net" and "skeleton" in load_checkpoint(run / "last.pt")["modules"]
    line = np.full((40, 56), 255, np.uint8); line[20, :] = 0
    out = model(line, "red_hair")
    assert out["color"].shape == (40, 56, 3) and out["skeleton"].shape == (40, 56)
    assert colorize(line, "red_hair", run / "last.pt").shape == (40, 56, 3)
