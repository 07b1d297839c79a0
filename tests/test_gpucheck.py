"`python -m colorseg.gpucheck --dry` end to end through its command line: every stage recorded, the CUDA-only ones skipped with the reason."
import json, subprocess, sys
import torch
from colorseg.gpucheck import STAGES

CUDA_ONLY = ("check_compile", "bench_colorize_graphs", "bench_colorize_compile")


def test_plan_fits_every_stage_into_the_budget():
    "Every stage has a slot, the slots add up to at most --budget-s, and --budget-s scales them all by the same factor."
    from colorseg.gpucheck_checks import DRY_PLAN, GPU_PLAN, stage_slots
    for plan in (GPU_PLAN, DRY_PLAN):
        assert list(plan.slots) == list(STAGES) and sum(plan.slots.values()) <= plan.budget_s
        for budget in (plan.budget_s, plan.budget_s / 2, plan.budget_s * 2):
            s = stage_slots(plan, budget)
            assert list(s) == list(STAGES) and sum(s.values()) <= budget + 1e-9
            assert all(abs(s[k] - plan.slots[k] * budget / plan.budget_s) < 1e-9 for k in s)
    # a lease returns every headline figure: the GPU-only checks, one fusion's CUDA-graph and compiled latency, then training
    last = lambda *names: max(STAGES.index(n) for n in names)
    assert last("check_fusions", "check_layouts", "check_compile", "check_resume", "check_ddp") < STAGES.index("bench_colorize_graphs")
    assert last("bench_colorize_graphs", "bench_colorize_compile", "bench_train") < STAGES.index("train") < STAGES.index("evaluate")
    assert GPU_PLAN.budget_s + 60 <= 540   # the README's device call (timeout_s 540) has a minute for start-up and the last write


def test_dry_run_records_every_stage(tmp_path):
    from colorseg.gpucheck_checks import DRY_PLAN
    out, work = tmp_path / "out", tmp_path / "work"
    # four times the dry budget (every slot scaled by 4, as --budget-s does; the dry slots are twice the times measured on 2 idle
    # cores): a test machine shared with other work, 2-3x slower, must not skip a stage or overrun a slot
    budget = 4 * DRY_PLAN.budget_s
    r = subprocess.run([sys.executable, "-m", "colorseg.gpucheck", "--dry", "--out", str(out), "--work", str(work), "--budget-s", str(budget)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    j = json.loads((out / "gpucheck.json").read_text())
    assert j["slots"] == {k: v * 4 for k, v in DRY_PLAN.slots.items()} and j["elapsed_s"] <= budget
    for name, st in j["stages"].items():   # the stage times measured in --dry fit their (scaled) slots
        if "seconds" in st: assert st["seconds"] <= st["slot_s"], (name, st["seconds"], st["slot_s"])
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
