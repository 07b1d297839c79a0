"The CUDA checks of `make gpu-check` (colorseg.gpucheck) as pytest tests: `pytest -m gpu` on a machine with a GPU; skipped elsewhere."
import pytest
import torch
from colorseg.config import FUSIONS
from colorseg.gpucheck_checks import GPU_PLAN, check_compile, check_ddp, check_fusion, check_layout, check_resume

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")]
P = GPU_PLAN


def _ok(rec):
    assert rec["status"] == "pass", rec


@pytest.mark.parametrize("fusion", FUSIONS)
def test_bf16_close_to_fp32(fusion):
    _ok(check_fusion(fusion, P.check_preset, P.check_size, P.check_batch, torch.device("cuda")))


@pytest.mark.parametrize("fusion", FUSIONS)
def test_channels_last_and_fast_path_equal_eager(fusion):
    _ok(check_layout(fusion, P.check_preset, P.check_size, P.check_batch, torch.device("cuda")))


@pytest.mark.parametrize("fusion", P.compile_fusions)
def test_compile_equals_eager(fusion):
    _ok(check_compile(fusion, P.compile_preset, P.check_size, P.check_batch, torch.device("cuda")))


def test_exact_resume_on_cuda(tmp_path):
    _ok(check_resume(P, torch.device("cuda"), tmp_path))


def test_one_rank_nccl_fit(tmp_path):
    rec = check_ddp(P, torch.device("cuda"), tmp_path)
    assert rec["backend"] == "nccl" and rec["fit_loss_all_reduces"] > 0 and rec["fit_batch_norm_all_reduces"] > 0
    _ok(rec)
