"Multi-process training (torchrun/DDP) on CPU with gloo: 2 processes = 1 process with the same global batch."
import os, socket
import pandas as pd
import pytest
import torch
import torch.multiprocessing as mp

from colorseg.config import ColorizeConfig

CFG = dict(fusion="dual", image_size=32, n_train=16, n_val=2, batch_size=4, seg_epochs=1, epochs=1, max_steps=6,
           lfe_path="off", device="cpu", progress=False, log_every=1)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0)); return s.getsockname()[1]


def _worker(rank, world, port, out, cfg=CFG):
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE=str(world), LOCAL_RANK=str(rank))
    torch.set_num_threads(1)
    from colorseg.tag2pix import train_colorizer
    try:
        train_colorizer(ColorizeConfig(**cfg, out_dir=out))
    finally:
        import torch.distributed as dist
        if dist.is_initialized(): dist.destroy_process_group()


def test_two_processes_match_one(tmp_path):
    torch.set_num_threads(1)
    from colorseg.tag2pix import train_colorizer
    one, _ = train_colorizer(ColorizeConfig(**CFG, out_dir=str(tmp_path / "one")))
    mp.spawn(_worker, args=(2, _free_port(), str(tmp_path / "two")), nprocs=2, join=True)
    a, b = pd.read_csv(one / "stats.csv"), pd.read_csv(tmp_path / "two" / "stats.csv")
    assert len(a) == len(b) == 6
    # later, float-order differences in near-zero gradients flip a few of Adam's first (lr-sized) updates, as
    # they do under DDP; the reconstruction-dominated generator loss stays within 0.5 %, the adversarial terms within 10 %
    tol = dict(d_loss=0.1, g_adv=0.1, g_rec=0.005, g_seg=0.005, g_loss=0.005)
    for k, t in tol.items():
        rel = ((a[k] - b[k]).abs() / a[k].abs().clip(lower=1e-6)).tolist()
        assert max(rel[:2]) < 1e-4, (k, a[k].tolist(), b[k].tolist())  # same data split, global-batch BN, averaged gradients
        assert max(rel) < t, (k, a[k].tolist(), b[k].tolist())
