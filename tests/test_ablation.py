"End-to-end: the ablation driver (papermill) at a micro budget, skip-on-rerun, and the two report notebooks on its output."
import json
from pathlib import Path
import pandas as pd
import papermill as pm
import pytest

# 2 fusions x 2 seeds x 2 steps at 32 px; the LFE and the FID-cs net get a couple of steps so their code paths run
MICRO = dict(fusions="none,dual", seeds="0,1", preset="tiny", lfe_path="", test_offset=0, real_size=64, image_size=32, n_train=8, n_val=2, batch_size=4, seg_epochs=0, epochs=1,
             lfe_steps=2, n_test=4, feature_net_steps=2, feature_net_n_train=8, snap="dual", feature_net="", device="cpu", threads=1, progress=False)


def _run(repo, name, out, **params):
    pm.execute_notebook(str(repo / "nbs" / f"{name}.ipynb"), str(out / f"{name}.ipynb"), kernel_name="python3",
                        cwd=str(out), parameters=params, progress_bar=False)
    return (out / f"{name}.ipynb").read_text()


@pytest.fixture(scope="module")
def ablation(root, tmp_path_factory):
    d = tmp_path_factory.mktemp("ablation")
    _run(root, "11_ablation", d, **MICRO, root=str(d / "runs"), csv=str(d / "ablation.csv"), records=str(d / "records"))
    return d


def test_ablation_csv(ablation):
    df = pd.read_csv(ablation / "ablation.csv", keep_default_na=True)
    df["post"] = df["post"].fillna("")
    assert sorted(df["run"].unique()) == ["dual-s0", "dual-s1", "none-s0", "none-s1"]
    assert sorted(df["method"]) == ["dual", "dual", "dual+real", "dual+real", "dual+snap", "dual+snap", "none", "none", "none+real", "none+real"]
    assert (df["step"] == 2).all() and (df["planned_steps"] == 2).all() and (df["region_de2000"] >= 0).all()
    test = df[df["post"] != "real"]  # the real illustration (X) rows: one image, no FID
    assert (test["n"] == 4).all() and test["fid_cs"].notna().all() and test["feature_net"].nunique() == 1
    real = df[df["post"] == "real"]
    assert (real["n"] == 1).all() and (real["size"] == 64).all() and (real["region_de_gt"] > 0).all() and real["segment_acc"].between(0, 1).all()
    assert df["fid"].isna().all() or df["fid"].notna().all()  # Inception only when its weights file exists
    for run in df["run"].unique():
        assert json.loads((ablation / "runs" / run / "config.json").read_text())["out_dir"].endswith(run)
    assert (ablation / "runs" / "tagnet-lineart-synth32-s1" / "last.pt").exists() and (ablation / "runs" / "feature_net" / "last.pt").exists()


def test_rerun_skips_finished_runs(root, ablation):
    ckpts = sorted((ablation / "runs").glob("*/last.pt"))
    before = {p: p.stat().st_mtime_ns for p in ckpts}
    csv_before = (ablation / "ablation.csv").read_text()
    nb = _run(root, "11_ablation", ablation, **MICRO, root=str(ablation / "runs"), csv=str(ablation / "ablation.csv"),
              records=str(ablation / "records"))
    assert {p: p.stat().st_mtime_ns for p in ckpts} == before  # nothing retrained
    assert (ablation / "ablation.csv").read_text() == csv_before  # nothing rescored
    assert nb.count("skip") >= 4


def test_report_notebooks(root, ablation):
    rep = ablation / "reports"
    _run(root, "30_results_table", ablation, records=str(ablation / "records"), runs=str(ablation / "runs"), out_dir=str(rep))
    md = (rep / "table1.md").read_text()
    again = ablation / "again"
    _run(root, "30_results_table", ablation, records=str(ablation / "records"), runs=str(ablation / "runs"), out_dir=str(again))
    assert (again / "table1.md").read_text() == md  # the records alone give the table, byte for byte
    assert "nan" not in md  # a pair is compared only on the metrics both of its methods have
    assert sorted(p.name for p in (ablation / "records" / "dual-s1").iterdir()) == ["config.json", "curve.csv", "metrics.json"]
    for s in ("| Tag2pix (none) | 2 |", "| Dual | 2 |", "| Dual + region snap | 2 |", "ground truth (reference)",
              "76.744", "64.482", "published", "FID-cs", "Dual − Tag2pix (none) on within-region ΔE76", "merge rate, paired by seed", "segment acc.", "95% t-CI",
              "A real illustration (n = 1)", "the illustration's own colours"):
        assert s in md, s
    wide = pd.read_csv(rep / "table1.csv")
    assert {"region_de_mean", "region_de_ci95", "merge_rate_mean", "segment_acc_mean", "tag_acc_parts_mean", "l1_mean", "fid_cs_mean"} <= set(wide.columns)
    assert len(pd.read_csv(rep / "table1_paired.csv")) >= 2
    figs = rep / "figures"
    nb = _run(root, "32_figures", ablation, records=str(ablation / "records"), out_dir=str(figs), n_rows=2, n_conf=6, n_scan=4, real_size=64)
    assert "4 curves; chance part-tag accuracy 0." in nb  # chance from the records' per-part counts
    assert not (figs / "munit_grid.png").exists()  # no MUNIT runs in this ablation: the grid is skipped
    for name in ("learning_curves", "qualitative_grid", "tag_confusion", "fig5_tag_sets", "fig7_contrast", "fig9_dense_strokes", "real_x"):
        for ext in ("png", "pdf"):
            assert (figs / f"{name}.{ext}").stat().st_size > 1000, (name, ext)


def test_munit_rows(root, tmp_path):
    "MUNIT (reference-based: each drawing coloured like the next test illustration) gets rows and a table row, without tag accuracy."
    from colorseg.ablation import AblationConfig, read_results, run_ablation
    from colorseg.report import munit_table, results_table
    cfg = AblationConfig(fusions="none", munit="none,concat", seeds="0", preset="tiny", test_offset=0, real_size=0, image_size=32, n_train=8, n_val=2, batch_size=4, seg_epochs=0,
                         epochs=1, munit_batch_size=2, munit_epochs=1, munit_cpu_bf16=False, lfe_path="off", n_test=3, fid="off", feature_net="off", snap="", device="cpu", threads=1,
                         progress=False, root=str(tmp_path / "runs"), csv=str(tmp_path / "a.csv"), records=str(tmp_path / "records"))
    assert list(run_ablation(cfg)["action"]) == ["train+score"] * 3
    df = read_results(cfg.csv).set_index("method")
    assert df.loc["munit-concat", "step"] == 4 and pd.isna(df.loc["munit-concat", "tag_acc_parts"]) and df.loc["munit-concat", "region_de2000"] > 0
    assert df.loc["munit-concat", "ref_swd"] > 0 and df.loc["munit-concat", "ref_swd_gt"] > 0  # reference-colour SWD (and the drawing's own colours' SWD)
    md = munit_table(read_results(cfg.csv))[0]
    assert "| MUNIT + Concat | 1 |" in md and "reference-colour SWD" in md and "MUNIT" not in results_table(read_results(cfg.csv))[0]
    rec = json.loads((tmp_path / "records" / "munit-concat-s0" / "config.json").read_text())  # MUNIT's recipe, not the colorizer's budget
    assert (rec["batch_size"], rec["lr_g"], rec["cpu_bf16"]) == (2, cfg.munit_lr_g, False)
    figs = tmp_path / "figures"  # the figures notebook draws the MUNIT grid from the run folders
    _run(root, "32_figures", tmp_path, records=cfg.records, out_dir=str(figs), munit_runs=cfg.root,
              n_rows=2, n_conf=2, n_scan=2, real_size=0)
    assert (figs / "munit_grid.png").stat().st_size > 1000


def test_committed_table1_rebuilds_from_committed_records(root, tmp_path):
    "The study's committed records (reports/runs/) give the committed reports/table1.md, byte for byte."
    records, table = root / "reports" / "runs", root / "reports" / "table1.md"
    if not any(records.glob("*/metrics.json")): pytest.skip("no committed run records yet")
    pm.execute_notebook(str(root / "nbs" / "30_results_table.ipynb"), str(tmp_path / "30.ipynb"), kernel_name="python3", cwd=str(root),
                        parameters=dict(records="reports/runs", out_dir=str(tmp_path)), progress_bar=False)  # as make report runs it
    assert (tmp_path / "table1.md").read_text() == table.read_text(), "reports/table1.md is stale: rerun nbs/30_results_table.ipynb (make report)"


def test_gan_arm(root, tmp_path):
    "The GAN arm: each run keeps its L1 warm-up checkpoint, then trains with D on; Table 1 gets its rows, pairs and verdict; the figure its grid."
    import torch
    from colorseg.ablation import AblationConfig, read_results, run_ablation
    cfg = AblationConfig(fusions="none", gan="none,dual", seeds="0,1", preset="tiny", test_offset=0, real_size=0, image_size=32, n_train=8, n_val=2,
                         batch_size=4, seg_epochs=0, epochs=1, gan_epochs=1, gan_ramp_steps=0, gan_lambda_adv=0.5, gan_d_every=1, lfe_path="off",
                         n_test=3, fid="off", feature_net="off", snap="none", device="cpu", threads=1, progress=False,
                         root=str(tmp_path / "runs"), csv=str(tmp_path / "a.csv"), records=str(tmp_path / "records"))
    assert list(run_ablation(cfg)["action"]) == ["train+score"] * 6
    df = read_results(cfg.csv)
    assert sorted(df["method"].unique()) == ["dual-gan", "none", "none+snap", "none-gan"]  # no snap rows for the GAN arm
    gan = df[df["method"].str.endswith("-gan")]
    assert (gan["step"] == 4).all() and (df[df["method"] == "none"]["step"] == 2).all()  # the L1 budget, then the GAN phase
    run = tmp_path / "runs" / "dual-gan-s1"
    assert torch.load(run / "warmup.pt", weights_only=False)["step"] == 2 and torch.load(run / "last.pt", weights_only=False)["step"] == 4
    st = pd.read_csv(run / "stats.csv")
    assert (st["d_loss"][st["step"] <= 2] == 0).all() and (st["d_loss"][st["step"] > 2] > 0).all()
    rec = json.loads((tmp_path / "records" / "dual-gan-s1" / "config.json").read_text())
    assert (rec["warmup_steps"], rec["lambda_adv"], rec["epochs"]) == (2, 0.5, 2)  # the record names the GAN phase
    rep = tmp_path / "reports"
    _run(root, "30_results_table", tmp_path, records=cfg.records, runs=cfg.root, out_dir=str(rep))
    md = (rep / "table1.md").read_text()
    assert "| Tag2pix (none) + GAN | 2 |" in md and "| Dual + GAN | 2 |" in md
    assert "## The GAN arm: Dual + GAN − Tag2pix (none) + GAN" in md and "GAN arm: the L1 runs' 2 steps as the warm-up, then 2 steps" in md
    assert "Verdict (GAN arm): Dual + GAN − Tag2pix (none) + GAN" in md
    assert "| Dual + GAN − Tag2pix (none) + GAN | part-tag accuracy | 0 1 |" in md
    figs = tmp_path / "figures"
    _run(root, "32_figures", tmp_path, records=cfg.records, out_dir=str(figs), gan_runs=cfg.root, munit_runs=str(tmp_path / "none"),
         n_rows=2, n_conf=2, n_scan=2, real_size=0)
    assert (figs / "gan_grid.png").stat().st_size > 1000
    # the tuning notebook branches every setting from the seed-0 warm-up and tabulates them (a GAN setting and the L1 control)
    budget = "preset=tiny image_size=32 n_train=8 n_val=2 batch_size=4 seg_epochs=0 epochs=1 gan_epochs=1 lfe_path=off fid=off feature_net=off device=cpu"
    tune = tmp_path / "tune"
    _run(root, "35_gan_tuning", tmp_path, ablation_root=cfg.root, root=str(tmp_path / "gantune"), out_dir=str(tune), n_test=3, n_rows=2, threads=1,
         budget=budget, settings="adv gan_lambda_adv=2 gan_ramp_steps=0\nl1more gan_lambda_adv=0 gan_lambda_cls=0 gan_ramp_steps=0")
    tab = pd.read_csv(tune / "gan_tuning.csv")
    assert list(tab["setting"]) == ["warm-up (L1, 2 steps)", "adv", "l1more"] and (tab["step"].dropna() == 4).all()
    t = tab.set_index("setting")
    assert t.loc["adv", "region_de"] != t.loc["l1more", "region_de"] and t.loc["adv", "d_adv_last100"] > 0  # the branches differ; D trained
    md = (tune / "gan_tuning.md").read_text()
    assert "# Tuning the GAN phase (test[0:3]" in md and "then 2 steps with the GAN losses on" in md and (tune / "figures" / "gan_tuning_grid.png").exists()
    for name, adv in (("adv", 2.0), ("l1more", 0.0)):   # each branch continued the same warm-up with its own setting
        branch = torch.load(tmp_path / "gantune" / name / "none-gan-s0" / "last.pt", weights_only=False)
        assert branch["step"] == 4 and branch["config"]["lambda_adv"] == adv
