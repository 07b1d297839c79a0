"`python -m colorseg.gpucheck --dry` end to end through its command line: every stage recorded, the CUDA-only ones skipped with the reason."
import json, subprocess, sys
import torch
from colorseg.gpucheck import STAGES

CUDA_ONLY = ("check_compile", "bench_colorize_graphs", "bench_colorize_compile")


def test_dry_run_records_every_stage(tmp_path):
    out, work = tmp_path / "out", tmp_path / "work"
    # a generous budget: on a loaded test machine no stage may be skipped for time (the dry run itself takes ~30 s on 2 cores)
    r = subprocess.run([sys.executable, "-m", "colorseg.gpucheck", "--dry", "--out", str(out), "--work", str(work), "--budget-s", "600"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    j = json.loads((out / "gpucheck.json").read_text())
    assert j["mode"] == "dry" and j["card"] == "cpu"
    assert list(j["stages"]) == list(STAGES)
    no_cuda = "skipped: no CUDA" if not torch.cuda.is_available() else "skipped: --dry"
    for name, st in j["stages"].items():
        if name in CUDA_ONLY: assert st["status"].startswith(no_cuda), (name, st)
        elif name == "check_fid": assert st["status"].startswith("skipped: --dry/CPU"), st
        else: assert st["status"] in ("pass", "done"), (name, st)
    assert j["stages"]["check_ddp"]["backend"] == "gloo" and j["stages"]["check_resume"]["identical"]
    assert {r["fusion"] for r in j["stages"]["bench_train"]["rows"]} == {"none", "concat", "dual", "parts"}
    assert j["stages"]["train"]["steps"] >= 1 and "tag_acc_parts" in j["stages"]["evaluate"]["metrics"]
    assert any(h["figure"].startswith("colorize") for h in j["headline"])
    md = (out / "gpucheck.md").read_text()
    assert "# colorseg GPU check" in md and "## Stages" in md and no_cuda in md
    assert (out / "train_samples.png").exists() and (work / "train" / "last.pt").exists()   # the run's checkpoint stays in --work
