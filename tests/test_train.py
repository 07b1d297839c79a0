"End-to-end: the papermill training notebook, as `make train` and users run it."
import json, subprocess, sys
from pathlib import Path
import pandas as pd
import papermill as pm
import pytest
import torch

from colorseg.config import ColorizeConfig
from colorseg.train import load_checkpoint

SMALL = dict(image_size=32, n_train=16, n_val=4, batch_size=4, seg_epochs=1, epochs=1, device="cpu", progress=False)


def test_papermill_train_notebook(root, tmp_path):
    out = tmp_path / "run"
    nb = tmp_path / "train.ipynb"
    pm.execute_notebook(str(root / "nbs/10_train.ipynb"), str(nb), kernel_name="python3", cwd=str(root / "nbs"),
                        parameters=dict(SMALL, fusion="concat", preset="tiny", out_dir=str(out), n_test=4), progress_bar=False)
    cfg = ColorizeConfig.from_json(out / "config.json")
    assert cfg.fusion == "concat" and cfg.image_size == 32
    for f in ("last.pt", "stats.csv", "val.csv", "loss_curves.png", "learning_curve.png", "summary.csv", "log.txt", "test_metrics.json"):
        assert (out / f).exists(), f
    assert sorted(p.name for p in (out / "samples").iterdir()) == ["epoch_001.png", "epoch_002.png"]
    st = pd.read_csv(out / "stats.csv")
    assert set(st["phase"]) == {"seg", "color"} and st["g_rec"].notna().all()
    summ = pd.read_csv(out / "summary.csv")
    assert summ.loc[0, "fusion"] == "concat" and 0 < summ.loc[0, "l1"] < 2
    assert "Image" in nb.read_text() or "image/png" in nb.read_text()  # the executed notebook shows the plots
    test = json.loads((out / "test_metrics.json").read_text())
    assert test["split"] == "test" and test["n"] == 4 and 0 <= test["tag_acc_parts"] <= 1 and 0 < test["tag_acc_parts_gt"] <= 1


def test_papermill_streams_progress_lines(root, tmp_path):
    "make train's --log-output shows steps: print_every lines and each epoch's validation reach the notebook's output."
    nb = tmp_path / "train.ipynb"
    pm.execute_notebook(str(root / "nbs/10_train.ipynb"), str(nb), kernel_name="python3", cwd=str(root / "nbs"), progress_bar=False,
                        parameters=dict(SMALL, fusion="parts", preset="tiny", seg_epochs=0, out_dir=str(tmp_path / "r"), n_test=0, print_every=2))
    text = nb.read_text()
    assert "step 2 epoch 1/1" in text and "validation after epoch 1/1" in text and "tag_acc=" in text


def test_papermill_rejects_unknown_parameter(root, tmp_path):
    with pytest.raises(pm.PapermillExecutionError, match="did you mean 'epochs'"):
        pm.execute_notebook(str(root / "nbs/10_train.ipynb"), str(tmp_path / "bad.ipynb"), kernel_name="python3",
                            cwd=str(root / "nbs"), parameters=dict(SMALL, epoch=3, out_dir=str(tmp_path / "r")), progress_bar=False)


def test_resume_after_interruption_is_exact(tmp_path):
    "K steps straight == K/2 steps, a crash, then resume for the rest: identical weights on CPU."
    from colorseg.tag2pix import train_colorizer
    kw = dict(SMALL, fusion="dual", lfe_path="off")
    run_a, _ = train_colorizer(ColorizeConfig(**kw, out_dir=str(tmp_path / "a")))
    train_colorizer(ColorizeConfig(**kw, max_steps=3, out_dir=str(tmp_path / "b")))  # stops mid-epoch, as a crash would after a checkpoint
    run_b, _ = train_colorizer(ColorizeConfig(**kw, resume=True, out_dir=str(tmp_path / "b")))
    a, b = load_checkpoint(run_a / "last.pt"), load_checkpoint(run_b / "last.pt")
    assert a["step"] == b["step"] == 8
    for net in ("G", "D"):
        for k, v in a["modules"][net].items():
            assert torch.equal(v, b["modules"][net][k]), (net, k)


def test_resume_with_other_config_is_a_clear_error(tmp_path):
    from colorseg.tag2pix import train_colorizer
    kw = dict(SMALL, lfe_path="off", max_steps=1, out_dir=str(tmp_path / "r"))
    train_colorizer(ColorizeConfig(fusion="dual", **kw))
    with pytest.raises(ValueError, match="fusion='dual' in the checkpoint but 'none' now"):
        train_colorizer(ColorizeConfig(fusion="none", resume=True, **kw))


def test_concat_on_the_line_arts_own_regions(tmp_path):
    "skeleton_source='lineart': concat trains and colours on the skeleton of the line art's own regions (no net, no ground truth)."
    import numpy as np
    from colorseg.families import load_run
    from colorseg.fill import skeleton_from_lineart
    from colorseg.tag2pix import train_colorizer
    run, val = train_colorizer(ColorizeConfig(**dict(SMALL, seg_epochs=0), fusion="concat", skeleton_source="lineart", lfe_path="off",
                                           max_steps=2, out_dir=str(tmp_path / "run")))
    st = load_checkpoint(run / "last.pt")
    assert st["kind"] == "colorizer" and "skeleton" not in st["modules"]  # nothing to carry: the source is the line art itself
    model = load_run(run / "last.pt")
    assert model.skeleton.kind == "lineart"
    line = np.full((40, 48), 255, np.uint8); line[:, 20] = 0
    out = model(line, "red_hair")
    assert np.array_equal(out["skeleton"], skeleton_from_lineart(line)) and out["color"].shape == (40, 48, 3)


def test_the_training_notebook_defaults_are_the_cpu_recipe(root):
    "nbs/10_train.ipynb's parameters cell and colorseg.config.CPU_RECIPE state the same recipe (make train, the weights, the ablation)."
    import json
    from colorseg.config import CPU_RECIPE
    nb = json.loads((root / "nbs/10_train.ipynb").read_text())
    cell = next(c for c in nb["cells"] if "parameters" in c["metadata"].get("tags", []))
    params = {}
    exec("".join(cell["source"]), {}, params)
    assert {k: params[k] for k in CPU_RECIPE} == CPU_RECIPE



class _Dice:
    "fit's smallest task: no networks, its 'loss' is a draw from each RNG fit restores, so only an exact resume repeats the sequence."
    log_keys = ["loss"]
    def __init__(self, rt): pass
    def modules(self): return {}
    def optimizers(self): return {}
    def train_step(self, batch, epoch):
        import random
        import numpy as np
        return {"loss": torch.rand(()).item() + float(np.random.rand()) + random.random()}


class _Items(torch.utils.data.Dataset):
    def __len__(self): return 16
    def __getitem__(self, i): return {"index": i}


def test_resume_on_a_device_other_than_the_cpu(tmp_path):
    "A run whose runtime is not the CPU resumes exactly: fit restores the checkpoint's RNG states whatever device the run is on."
    from dataclasses import dataclass
    from typing import ClassVar
    from colorseg.config import RunConfig
    from colorseg.train import Runtime, fit

    @dataclass
    class DiceConfig(RunConfig):
        KIND: ClassVar[str] = "dice"
        out_dir: str = "runs/dice"

    # meta stands in for CUDA: a checkpoint mapped onto it holds no CPU ByteTensors either (torch.set_rng_state refuses both)
    rt = Runtime(torch.device("meta"))
    cfg = DiceConfig(epochs=2, batch_size=4, device="cpu", progress=False, log_every=1)
    fit(_Dice, cfg.replace(out_dir=str(tmp_path / "straight")), _Items(), None, rt=rt)
    fit(_Dice, cfg.replace(out_dir=str(tmp_path / "halves"), max_steps=3), _Items(), None, rt=rt)
    fit(_Dice, cfg.replace(out_dir=str(tmp_path / "halves"), resume=True), _Items(), None, rt=rt)
    a, b = (pd.read_csv(tmp_path / r / "stats.csv") for r in ("straight", "halves"))
    assert a["step"].tolist() == b["step"].tolist() == list(range(1, 9))
    assert a["loss"].tolist() == b["loss"].tolist()   # the same draws after the resume as without it
