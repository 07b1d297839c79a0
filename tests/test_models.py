"""End-to-end checks of colorseg.models (generator, discriminator, presets, summary) and the line-art TagNet feeding it (CPU, fast)."""
import pytest
import torch

from colorseg.config import FUSIONS, PRESETS
from colorseg.tagnet import TagNet
from colorseg.models import (DISC_PRESETS, GEN_PRESETS, build_discriminator, build_generator, model_summary)
from colorseg.tags import load_vocab

VOCAB = load_vocab()
N_CVT, N_CIT = len(VOCAB.cvt), len(VOCAB.cit)


def inputs(b=2, h=64, w=64, lfe_dim=None, seed=0):
    g = torch.Generator().manual_seed(seed)
    lineart = torch.rand(b, 1, h, w, generator=g) * 2 - 1
    skeleton = torch.rand(b, 1, h, w, generator=g)
    cvt = (torch.rand(b, N_CVT, generator=g) > 0.9).float()
    feat = torch.randn(b, lfe_dim, h // 16, w // 16, generator=g) if lfe_dim else None
    return lineart, cvt, skeleton, feat


def grad_sum(module):
    return sum(p.grad.abs().sum().item() for p in module.parameters() if p.grad is not None)


def test_vocab_sizes():
    assert (N_CVT, N_CIT) == (115, 370)
    assert set(GEN_PRESETS) == set(DISC_PRESETS) == set(PRESETS)


# --- generator -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fusion", FUSIONS)
@pytest.mark.parametrize("lfe_dim", [None, 24])
def test_generator_shapes_64(fusion, lfe_dim):
    torch.manual_seed(0)
    g = build_generator("tiny", fusion, N_CVT, lfe_dim)
    lineart, cvt, skeleton, feat = inputs(lfe_dim=lfe_dim)
    out = g(lineart, cvt, skeleton=skeleton, lfe_feat=feat)
    assert out["color"].shape == (2, 3, 64, 64)
    assert out["guide"].shape == (2, 3, 64, 64)
    assert out["color"].abs().max() <= 1 and out["guide"].abs().max() <= 1
    if fusion == "dual":
        assert out["skeleton"].shape == (2, 1, 64, 64)
        assert 0 <= out["skeleton"].min() and out["skeleton"].max() <= 1
    else:
        assert "skeleton" not in out


@pytest.mark.parametrize("fusion", FUSIONS)
@pytest.mark.parametrize("hw", [(32, 32), (96, 48), (48, 112)])
def test_generator_any_multiple_of_16(fusion, hw):
    g = build_generator("tiny", fusion, N_CVT, 8).eval()
    lineart, cvt, skeleton, feat = inputs(h=hw[0], w=hw[1], lfe_dim=8)
    with torch.no_grad():
        out = g(lineart, cvt, skeleton, feat)
    assert {k: tuple(v.shape[1:]) for k, v in out.items()} == {
        "color": (3, *hw), "guide": (3, *hw), **({"skeleton": (1, *hw)} if fusion == "dual" else {}),
        **({"parts": (15, *hw), "palette": (15, 3)} if fusion == "parts" else {})}


def test_parts_routing_follows_the_palette():
    "fusion='parts': with the residual head zeroed, every pixel is its part's tag colour; a hard part map gives flat regions."
    torch.manual_seed(0)
    g = build_generator("tiny", "parts", N_CVT).eval()
    torch.nn.init.zeros_(g.to_rgb[-1].weight); torch.nn.init.zeros_(g.to_rgb[-1].bias)
    with torch.no_grad():
        g.to_parts[-1].weight.zero_(); g.to_parts[-1].bias.zero_(); g.to_parts[-1].bias[3] = 50.   # every pixel: part 3
        g.palette.fc.bias.zero_(); g.palette.fc.weight.zero_()
        g.palette.fc.weight[3 * 3:3 * 3 + 3, 7] = torch.tensor([0.1, -0.1, 0.05])   # tag 7 colours part 3
        lineart, cvt, _, _ = inputs()
        cvt = torch.zeros_like(cvt); cvt[0, 7] = 1
        out = g(lineart, cvt)["color"]
    want = torch.tanh(10 * torch.tensor([0.1, -0.1, 0.05]))   # the palette's gain is 10
    assert torch.allclose(out[0].mean((1, 2)), want, atol=1e-5) and out[0].std((1, 2)).max() < 1e-5
    assert out[1].abs().max() < 1e-5   # without the tag, part 3 is mid grey


def test_hard_routing_gives_exact_part_colours_and_trains_the_part_map():
    "route_parts(hard=True): an unsure pixel still gets one part's exact colour, and the logits still get gradients."
    from colorseg.models import route_parts
    logits = torch.tensor([0.2, 0.1, 0.0]).view(1, 3, 1, 1).repeat(1, 1, 2, 2).requires_grad_()   # part 0 wins narrowly
    palette = torch.tensor([[[1.0, 0, 0], [0, 1.0, 0], [0, 0, 1.0]]])
    soft, hard = route_parts(logits, palette), route_parts(logits, palette, hard=True)
    assert soft[0, 0, 0, 0] < 0.5                                   # the soft mix is a pale blend
    assert torch.allclose(hard[0, :, 0, 0], palette[0, 0], atol=1e-6)   # hard: part 0's colour
    hard[:, 1].sum().backward()                                     # asking for more green ...
    assert logits.grad[0, 1].sum() > 0 > logits.grad[0, 0].sum()     # ... raises part 1's score, lowers part 0's


def test_generator_errors():
    lineart, cvt, skeleton, _ = inputs()
    g = build_generator("tiny", "concat", N_CVT)
    with pytest.raises(ValueError, match="needs skeleton"):
        g(lineart, cvt)
    with pytest.raises(ValueError, match="multiples of 16"):
        g(lineart[..., :40], cvt, skeleton[..., :40])
    with pytest.raises(ValueError, match=r"pass LFE features iff lfe_dim is set"):
        build_generator("tiny", "none", N_CVT, lfe_dim=16)(lineart, cvt)
    with pytest.raises(ValueError, match=r"lfe_feat must be \[2, 16, 4, 4\]"):
        build_generator("tiny", "none", N_CVT, lfe_dim=16)(lineart, cvt, lfe_feat=torch.zeros(2, 16, 8, 8))


def test_unknown_names_list_allowed_values():
    with pytest.raises(ValueError, match="unknown fusion 'triple'; choose one of 'none', 'concat', 'dual'"):
        build_generator("tiny", "triple", N_CVT)
    with pytest.raises(ValueError, match="unknown preset 'huge'; choose one of 'paper', 'tiny'"):
        build_generator("huge", "none", N_CVT)
    with pytest.raises(ValueError, match="'paper', 'tiny'"):
        build_discriminator("huge", N_CIT, N_CVT)


def test_tags_change_output_through_secat():
    torch.manual_seed(0)
    g = build_generator("tiny", "none", N_CVT).eval()
    lineart, cvt, _, _ = inputs()
    other = torch.zeros_like(cvt)
    other[:, :5] = 1
    with torch.no_grad():
        assert (g(lineart, cvt)["color"] - g(lineart, other)["color"]).abs().mean() > 1e-4
    g.train()
    g(lineart, cvt)["color"].mean().backward()
    tag_dim = g.arch.tag_dim
    for stage in g.dec:   # every SECat's excitation reads the tag embedding (its last tag_dim input columns)
        for block in stage.blocks:
            assert block.se.cond_dim == tag_dim
            assert block.se.fc[0].weight.grad[:, -tag_dim:].abs().sum() > 0


def test_dual_gradients_reach_both_decoders():
    torch.manual_seed(0)
    g = build_generator("tiny", "dual", N_CVT)
    lineart, cvt, _, _ = inputs()
    out = g(lineart, cvt)
    out["color"].mean().backward()   # the colour loss alone reaches the skeleton decoder through the fusion concats
    assert grad_sum(g.dec) > 0 and grad_sum(g.skel_dec) > 0 and grad_sum(g.enc) > 0
    g.zero_grad()
    out = g(lineart, cvt)
    (out["skeleton"].mean() + out["guide"].mean()).backward()
    assert grad_sum(g.skel_dec) > 0 and grad_sum(g.to_skel) > 0 and grad_sum(g.guide) > 0
    assert grad_sum(g.to_rgb) == 0   # skeleton and guide do not pass through the RGB head


def test_dual_skeleton_ignores_tags():
    torch.manual_seed(0)
    g = build_generator("tiny", "dual", N_CVT).eval()
    lineart, cvt, _, _ = inputs()
    with torch.no_grad():
        a, b = g(lineart, cvt)["skeleton"], g(lineart, torch.ones_like(cvt))["skeleton"]
    torch.testing.assert_close(a, b)


def test_channels_last_and_compile_fullgraph():
    torch.manual_seed(0)
    g = build_generator("tiny", "dual", N_CVT, 16).eval()
    lineart, cvt, skeleton, feat = inputs(lfe_dim=16)
    with torch.no_grad():
        ref = g(lineart, cvt, skeleton, feat)
        cl = lambda t: t.to(memory_format=torch.channels_last)
        out = g.to(memory_format=torch.channels_last)(cl(lineart), cvt, cl(skeleton), cl(feat))
        for k in ref:
            torch.testing.assert_close(out[k], ref[k], atol=1e-5, rtol=1e-4)
        # fullgraph=True fails on any graph break (data-dependent Python control flow); the eager backend keeps it fast
        compiled = torch.compile(g, backend="eager", fullgraph=True)(lineart, cvt, skeleton, feat)
        for k in ref:
            torch.testing.assert_close(compiled[k], ref[k], atol=1e-5, rtol=1e-4)


# --- discriminator ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("hw", [(64, 64), (96, 48)])
def test_discriminator_heads(hw):
    d = build_discriminator("tiny", N_CIT, N_CVT)
    out = d(torch.rand(2, 3, *hw) * 2 - 1)
    assert {k: tuple(v.shape) for k, v in out.items()} == {"adv": (2, 1), "cit": (2, N_CIT), "cvt": (2, N_CVT)}
    out["adv"].sum().backward()
    assert grad_sum(d.trunk) > 0


# --- summary ---------------------------------------------------------------------------------------------------

def test_model_summary():
    tiny = model_summary("tiny", "dual", size=128)
    paper = model_summary("paper", "none", size=256, lfe_dim=128)
    for t in (tiny, paper):
        assert list(t.columns) == ["preset", "fusion", "size", "lfe_dim", "G_params_M", "G_GFLOPs", "D_params_M", "D_GFLOPs"]
        assert len(t) == 1 and (t[["G_params_M", "G_GFLOPs", "D_params_M", "D_GFLOPs"]] > 0).all(axis=None)
    assert paper.G_params_M[0] > 20 * tiny.G_params_M[0] and paper.G_GFLOPs[0] > 20 * tiny.G_GFLOPs[0]
    with torch.device("meta"):   # Tag2pix's bottleneck: 256 encoder + 64 tag map + 256 LFE
        assert build_generator("paper", "none", N_CVT, 128).dec[0].blocks[0].body[0].in_channels == 576


# --- line-art feature extractor --------------------------------------------------------------------------------

def test_lfe_shapes():
    lfe = TagNet("lineart", width=4, n_cit=N_CIT)
    x = torch.rand(2, 1, 64, 96) * 2 - 1
    assert lfe.features(x).shape == (2, lfe.lfe_dim, 4, 6) and lfe.lfe_dim == 32
    assert lfe(x)["cit"].shape == (2, N_CIT)


def test_lfe_feeds_generator():
    lfe = TagNet("lineart", width=4, n_cit=N_CIT).eval()
    g = build_generator("tiny", "dual", N_CVT, lfe_dim=lfe.lfe_dim)
    lineart, cvt, _, _ = inputs()
    with torch.no_grad():
        feat = lfe.features(lineart)
    assert g(lineart, cvt, lfe_feat=feat)["color"].shape == (2, 3, 64, 64)
