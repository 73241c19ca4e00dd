"""Pix2Pix: U-Net and ResNet-U-Net generators, the 70x70 PatchGAN, GAN losses, the two-network training task."""

import math
import urllib.error

import matplotlib
import pytest
import torch
import torchvision
from torch import nn

from colorlab import exercises, models, viz
from colorlab.cli import main
from colorlab.data import SyntheticScenes
from colorlab.io import ColorlabError
from colorlab.models import pix2pix, regression
from colorlab.train import CHECKPOINT_NAME, History, TrainConfig, Trainer, _Amp, task_for

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _one_thread():
    """One intra-op thread: on a shared 2-core machine more threads stall each other (and restore after)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _task(generator, **options) -> pix2pix.Pix2PixTask:
    """A task ready to step outside a Trainer (CPU, no AMP)."""
    task = pix2pix.Pix2PixTask(generator, **options)
    task.amp = _Amp(torch.device("cpu"), enabled=False)
    return task


def _batch(size: int = 32, n: int = 4, seed: int = 0):
    data = SyntheticScenes(n=n, size=size, seed=seed, scheme="pix2pix")
    l_norm, ab_norm = zip(*(data[i] for i in range(n)))
    return torch.stack(l_norm), torch.stack(ab_norm)


def _tiny_unet(num_downs: int = 5, ngf: int = 4) -> pix2pix.UNetGenerator:
    return pix2pix.UNetGenerator(num_downs=num_downs, ngf=ngf, input_size=2**num_downs)


def _params(net: nn.Module) -> dict[str, torch.Tensor]:
    return {name: value.detach().clone() for name, value in net.named_parameters()}


# --- registry and generators ------------------------------------------------------------------------


def test_registered_names_and_conventions():
    names = models.available()
    assert {"pix2pix_unet", "pix2pix_unet_small", "pix2pix_resnet18_unet"} <= set(names)
    unet = models.load("pix2pix_unet")
    assert isinstance(unet, pix2pix.UNetGenerator) and unet.scheme == "pix2pix"
    assert (unet.ngf, unet.input_size, unet.num_downs) == (64, 128, pix2pix.UNET_DEPTHS["unet_128"])
    small = models.load("pix2pix_unet_small")
    assert (small.ngf, small.input_size, small.num_downs) == (16, 64, 6)
    assert sum(p.numel() for p in small.parameters()) < sum(p.numel() for p in unet.parameters()) / 10
    resnet = models.load("pix2pix_resnet18_unet")
    assert isinstance(resnet, pix2pix.ResNetUNet) and resnet.scheme == "pix2pix" and resnet.input_size == 128
    assert "imagenet" in models.describe()["pix2pix_resnet18_unet"]
    with pytest.raises(ColorlabError, match="no 'imagenet' weights"):
        models.load("pix2pix_unet", weights="imagenet")


@pytest.mark.parametrize("depth, size, n_dropout", [("unet_128", 128, 2), ("unet_256", 256, 3)])
def test_unet_shapes_bottleneck_and_layers(depth, size, n_dropout):
    torch.manual_seed(0)
    net = pix2pix.UNetGenerator(num_downs=depth, ngf=4, input_size=size)
    assert net.num_downs == round(math.log2(size)) and net.size_multiple == size
    l_norm = torch.rand(2, 1, size, size) * 2 - 1
    features = net.encode(l_norm)
    assert [f.shape[-1] for f in features] == [size // 2 ** (level + 1) for level in range(net.num_downs)]
    assert features[-1].shape == (2, 32, 1, 1)  # 1 x 1 bottleneck with 8 * ngf channels
    assert [f.shape[1] for f in features[:4]] == [4, 8, 16, 32]
    ab_norm = net(l_norm)
    assert ab_norm.shape == (2, 2, size, size)
    assert ab_norm.abs().max() <= 1.0 and ab_norm.std() > 0  # Tanh output, not constant
    layers = list(net.modules())
    assert sum(isinstance(m, nn.Dropout) for m in layers) == n_dropout
    # BatchNorm everywhere except the outermost and innermost encoder levels and the output
    assert sum(isinstance(m, nn.BatchNorm2d) for m in layers) == 2 * net.num_downs - 3
    assert isinstance(net.up[0][-1], nn.Tanh) and net.up[0][1].out_channels == 2
    assert net.down[0][0].in_channels == 1
    # default depth follows input_size: the bottleneck is 1 x 1 at the working size
    assert pix2pix.UNetGenerator(ngf=1, input_size=size).num_downs == net.num_downs


def test_unet_skip_connections_carry_the_encoder_features():
    torch.manual_seed(0)
    net = _tiny_unet(num_downs=5).eval()
    l_norm = torch.rand(1, 1, 32, 32) * 2 - 1
    # the outermost decoder block sees cat(encoder level 0, decoder level 1): 2 * ngf channels
    assert net.up[0][1].in_channels == 2 * net.down[0][0].out_channels
    changed = l_norm.clone()
    changed[..., :4, :4] += 0.5  # a local change of L changes ab locally through the skips
    difference = (net(changed) - net(l_norm)).abs()[0].sum(dim=0)
    assert difference[:8, :8].mean() > 10 * difference[16:, 16:].mean()


def test_unet_errors_are_one_line():
    net = _tiny_unet(num_downs=5)
    with pytest.raises(ColorlabError, match="multiples of 32, got 48x32") as error:
        net(torch.zeros(1, 1, 48, 32))
    assert "\n" not in str(error.value)
    with pytest.raises(ColorlabError, match=r"\(N, 1, H, W\)"):
        net(torch.zeros(1, 3, 32, 32))
    with pytest.raises(ColorlabError, match="unknown U-Net depth"):
        pix2pix.UNetGenerator(num_downs="unet_512")
    with pytest.raises(ColorlabError, match="ngf"):
        pix2pix.UNetGenerator(ngf=0)


@pytest.mark.parametrize("size", [(64, 64), (64, 96)])
def test_resnet_unet_shapes(size):
    torch.manual_seed(0)
    net = pix2pix.ResNetUNet()
    assert net.encoder.conv1.weight.shape == (64, 1, 7, 7)
    assert not hasattr(net.encoder, "fc")
    l_norm = torch.rand(2, 1, *size) * 2 - 1
    skips = net.encode(l_norm)
    assert [tuple(s.shape[1:]) for s in skips] == [
        (channels, size[0] // scale, size[1] // scale)
        for channels, scale in [(1, 1), (64, 2), (64, 4), (128, 8), (256, 16), (512, 32)]
    ]
    ab_norm = net(l_norm)
    assert ab_norm.shape == (2, 2, *size) and ab_norm.abs().max() <= 1.0
    with pytest.raises(ColorlabError, match="multiples of 32"):
        net(torch.zeros(1, 1, 48, 48))


def _fake_imagenet_state() -> dict:
    generator = torch.Generator().manual_seed(0)
    state = torchvision.models.resnet18(weights=None).state_dict()
    return {key: torch.randn(value.shape, generator=generator) if value.is_floating_point() else value for key, value in state.items()}


def test_resnet_unet_imagenet_encoder(monkeypatch):
    state = _fake_imagenet_state()
    monkeypatch.setattr(type(regression.IMAGENET_WEIGHTS), "get_state_dict", lambda self, **kwargs: state)
    net = models.load("pix2pix_resnet18_unet", weights="imagenet")
    torch.testing.assert_close(net.encoder.conv1.weight, state["conv1.weight"].sum(dim=1, keepdim=True))
    torch.testing.assert_close(net.encoder.layer4[1].conv2.weight, state["layer4.1.conv2.weight"])
    torch.testing.assert_close(net.encoder.bn1.running_mean, state["bn1.running_mean"])
    decoder_weight = net.decoder[0].conv[0].weight
    assert abs(decoder_weight.std().item() - 0.02) < 0.002  # the decoder keeps the N(0, 0.02) init


def test_resnet_unet_imagenet_offline_is_one_line_error(monkeypatch):
    def offline(self, **kwargs):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(type(regression.IMAGENET_WEIGHTS), "get_state_dict", offline)
    with pytest.raises(ColorlabError) as error:
        models.load("pix2pix_resnet18_unet", weights="imagenet")
    message = str(error.value)
    assert "\n" not in message and "resnet18-f37072fd.pth" in message and "weights=None" in message


def test_init_is_normal_0_02():
    torch.manual_seed(0)
    net = pix2pix.UNetGenerator(num_downs=6, ngf=32, input_size=64)
    big = net.up[2][1].weight  # 256 -> 64 transposed conv: 262,144 weights
    assert abs(big.mean().item()) < 1e-3 and abs(big.std().item() - 0.02) < 5e-4
    norm = net.up[2][2]
    assert abs(norm.weight.mean().item() - 1.0) < 0.01 and 0.01 < norm.weight.std().item() < 0.03
    assert torch.all(norm.bias == 0) and torch.all(net.up[0][1].bias == 0)


# --- discriminator and receptive field ----------------------------------------------------------------


@pytest.mark.parametrize("n_layers, expected", [(1, 16), (2, 34), (3, 70)])
def test_patchgan_receptive_field_analytic_and_empirical(n_layers, expected):
    torch.manual_seed(0)
    net = pix2pix.PatchDiscriminator(ndf=8, n_layers=n_layers)
    assert pix2pix.receptive_field(net) == expected
    # empirically: the pixels that one central output unit depends on (gradient support)
    gradient = pix2pix.input_gradient(net, 128)
    top, left, height, width = pix2pix.support_box(gradient)
    assert (height, width) == (expected, expected)
    assert top > 0 and left > 0 and top + height < 128 and left + width < 128  # not clipped by the border
    assert (gradient[top : top + height, left : left + width] > 0).all()  # every pixel of the patch counts


def test_patchgan_layout():
    net = pix2pix.PatchDiscriminator()
    assert pix2pix.conv_layers(net) == [(4, 2), (4, 2), (4, 2), (4, 1), (4, 1)]
    assert pix2pix.receptive_field([(4, 2), (4, 2), (4, 2), (4, 1), (4, 1)]) == 70
    assert pix2pix.receptive_field([(3, 1)] * 3) == 7
    assert net.model[0].in_channels == 3  # conditioned on L: sees L and ab
    with torch.no_grad():
        assert net(torch.zeros(1, 3, 256, 256)).shape == (1, 1, 30, 30)


# --- losses ------------------------------------------------------------------------------------------------


def test_vanilla_and_lsgan_losses_on_known_inputs():
    logits = torch.tensor([[-2.0, 0.0], [1.0, 3.0]])
    sigmoid = [1 / (1 + math.exp(-x)) for x in logits.flatten().tolist()]
    vanilla_real = sum(-math.log(s) for s in sigmoid) / 4
    vanilla_fake = sum(-math.log(1 - s) for s in sigmoid) / 4
    assert pix2pix.gan_loss(logits, True, "vanilla").item() == pytest.approx(vanilla_real, rel=1e-6)
    assert pix2pix.gan_loss(logits, False, "vanilla").item() == pytest.approx(vanilla_fake, rel=1e-6)
    values = logits.flatten().tolist()
    assert pix2pix.gan_loss(logits, True, "lsgan").item() == pytest.approx(sum((x - 1) ** 2 for x in values) / 4)
    assert pix2pix.gan_loss(logits, False, "lsgan").item() == pytest.approx(sum(x**2 for x in values) / 4)
    undecided = torch.zeros(3, 1, 2, 2)
    assert pix2pix.gan_loss(undecided, True).item() == pytest.approx(math.log(2))
    assert pix2pix.gan_loss(undecided, True, "lsgan").item() == 1.0
    with pytest.raises(ColorlabError, match="unknown GAN loss 'hinge'"):
        pix2pix.gan_loss(logits, True, "hinge")


def test_generator_and_discriminator_losses():
    d_fake, d_real = torch.tensor([0.5, -1.0]), torch.tensor([2.0, 1.0])
    ab_real = torch.zeros(1, 2, 2, 2)
    ab_fake = torch.full((1, 2, 2, 2), 0.1)
    for mode in pix2pix.GAN_MODES:
        g = pix2pix.generator_loss(d_fake, ab_fake, ab_real, mode)
        assert g["l1"].item() == pytest.approx(0.1)
        assert g["total"].item() == pytest.approx(pix2pix.gan_loss(d_fake, True, mode).item() + 100 * 0.1, rel=1e-6)
        d = pix2pix.discriminator_loss(d_real, d_fake, mode)
        expected = 0.5 * (pix2pix.gan_loss(d_real, True, mode) + pix2pix.gan_loss(d_fake, False, mode))
        assert d["total"].item() == pytest.approx(expected.item())
    assert pix2pix.generator_loss(d_fake, ab_fake, ab_real, l1_weight=10)["total"].item() == pytest.approx(
        pix2pix.gan_loss(d_fake, True).item() + 1.0, rel=1e-6
    )


def test_linear_decay_values():
    decay = pix2pix.LinearDecay(constant_steps=3, decay_steps=4)
    assert [decay(s) for s in range(9)] == pytest.approx([1, 1, 1, 0.8, 0.6, 0.4, 0.2, 0, 0])
    shifted = pix2pix.LinearDecay(3, 4, offset=2)
    assert [shifted(s) for s in range(4)] == pytest.approx([1, 0.8, 0.6, 0.4])
    with pytest.raises(ColorlabError):
        pix2pix.LinearDecay(-1, 4)


# --- the training task -----------------------------------------------------------------------------------


def test_one_gan_step_changes_both_networks():
    torch.manual_seed(0)
    task = _task(_tiny_unet(), discriminator=pix2pix.PatchDiscriminator(ndf=4))
    generator, discriminator = task.nets["generator"], task.nets["discriminator"]
    before_g, before_d = _params(generator), _params(discriminator)
    logs = task.training_step(*_batch())
    assert all(not torch.equal(before_g[n], p) for n, p in generator.named_parameters() if n.endswith("weight"))
    assert all(not torch.equal(before_d[n], p) for n, p in discriminator.named_parameters() if n.endswith("weight"))
    assert list(logs) == ["G_GAN", "G_L1", "D_real", "D_fake", "D(real)", "D(fake)", "colorfulness"]
    assert 0 < logs["D(real)"] < 1 and 0 < logs["D(fake)"] < 1 and logs["colorfulness"] > 0
    assert all(p.requires_grad for p in discriminator.parameters())  # unfrozen after the G step
    assert task.steps_done == 1


def test_step_losses_follow_the_formulas():
    torch.manual_seed(0)
    task = _task(_tiny_unet(), discriminator=pix2pix.PatchDiscriminator(ndf=4), gan_mode="lsgan")
    l_norm, ab_norm = _batch()
    generator, discriminator = task.nets["generator"], task.nets["discriminator"]
    # what the step will see: same dropout draw (same RNG state), D before its update
    state = torch.get_rng_state()
    with torch.no_grad():
        ab_fake = generator(l_norm)
        expected_l1 = 100 * (ab_fake - ab_norm).abs().mean().item()
    torch.set_rng_state(state)
    d_state = {k: v.clone() for k, v in discriminator.state_dict().items()}
    logs = task.training_step(l_norm, ab_norm)
    assert logs["G_L1"] == pytest.approx(expected_l1, rel=1e-5)
    discriminator.load_state_dict(d_state)
    with torch.no_grad():
        d_real = discriminator(torch.cat((l_norm, ab_norm), dim=1))
    assert logs["D(real)"] == pytest.approx(d_real.mean().item(), rel=1e-4)  # lsgan: raw output, not sigmoid
    assert logs["D_real"] == pytest.approx(((d_real - 1) ** 2).mean().item(), rel=1e-4)


def test_l1_stage_then_adversarial_and_l1_only_baseline():
    torch.manual_seed(0)
    task = _task(_tiny_unet(), discriminator=pix2pix.PatchDiscriminator(ndf=4), pretrain_steps=2)
    discriminator = task.nets["discriminator"]
    before = _params(discriminator)
    batch = _batch()
    for _ in range(2):
        assert not task.adversarial
        logs = task.training_step(*batch)
        assert set(logs) >= {"G_GAN", "D(real)"}  # D's verdict is logged, D is not trained
    assert all(torch.equal(before[n], p) for n, p in discriminator.named_parameters())
    assert task.adversarial
    task.training_step(*batch)
    assert any(not torch.equal(before[n], p) for n, p in discriminator.named_parameters())

    baseline = _task(_tiny_unet(), gan_mode="l1")
    assert list(baseline.nets) == ["generator"] and not baseline.adversarial
    assert list(baseline.training_step(*batch)) == ["G_L1", "colorfulness"]
    with pytest.raises(ColorlabError, match="unknown GAN loss"):
        pix2pix.Pix2PixTask(_tiny_unet(), gan_mode="wgan")


def test_adam_settings_and_lr_decay_schedule():
    torch.manual_seed(0)
    task = _task(_tiny_unet(), discriminator=pix2pix.PatchDiscriminator(ndf=4), lr_decay=(2, 3), pretrain_steps=1)
    for name in ("generator", "discriminator"):
        group = task.optimizers[name].param_groups[0]
        assert group["betas"] == (0.5, 0.999) and group["lr"] == pytest.approx(2e-4)
    batch = _batch(n=2)
    g_lrs, d_lrs = [], []
    for _ in range(6):
        g_lrs.append(task.optimizers["generator"].param_groups[0]["lr"])
        d_lrs.append(task.optimizers["discriminator"].param_groups[0]["lr"])
        task.training_step(*batch)
    expected = [2e-4 * f for f in (1, 1, 0.75, 0.5, 0.25, 0)]
    assert g_lrs == pytest.approx(expected)
    assert d_lrs == pytest.approx(expected)  # D starts after the L1 stage but follows the same global schedule


def test_snapshots_of_a_fixed_batch():
    torch.manual_seed(0)
    fixed = _batch(n=3, seed=5)[0]
    task = _task(_tiny_unet(), gan_mode="l1", snapshot_every=2, snapshot_l_norm=fixed)
    batch = _batch()
    for _ in range(5):
        task.training_step(*batch)
    assert [step for step, _ in task.snapshots] == [2, 4]
    assert task.snapshots[0][1].shape == (3, 2, 32, 32)
    assert not torch.equal(task.snapshots[0][1], task.snapshots[1][1])  # the generator kept learning
    assert task.nets["generator"].training
    with torch.no_grad():
        expected = task.nets["generator"].eval()(fixed)
    torch.testing.assert_close(task.take_snapshot(), expected)


def test_resume_from_checkpoint_continues_identically(tmp_path):
    data = SyntheticScenes(n=24, size=64, seed=0, scheme="pix2pix")

    def run(out, max_steps):
        torch.manual_seed(0)
        generator = pix2pix.UNetGenerator(num_downs=6, ngf=4, input_size=64)  # has a dropout block
        task = generator.training_task(lr=2e-4, loss="vanilla", data=data, pretrain_steps=1, lr_decay=(2, 4))
        config = TrainConfig(epochs=2, batch_size=4, max_steps=max_steps, checkpoint_every=2, progress=False, device="cpu")
        trainer = Trainer(task, data, config, out_dir=out)
        trainer.fit()
        return task, trainer

    reference, _ = run(tmp_path / "reference", 8)
    run(tmp_path / "resumed", 3)  # stops after 3 steps: the checkpoint holds step 3
    resumed, trainer = run(tmp_path / "resumed", 8)
    assert trainer.step == 8 and trainer.history.steps == list(range(1, 9))
    for name in ("generator", "discriminator"):
        for key, value in reference.nets[name].state_dict().items():
            assert torch.equal(value, resumed.nets[name].state_dict()[key]), f"{name}.{key}"
    assert resumed.steps_done == 8
    state = torch.load(tmp_path / "resumed" / CHECKPOINT_NAME, weights_only=False)
    assert set(state["nets"]) == {"generator", "discriminator"} and set(state["schedulers"]) == {"generator", "discriminator"}


def test_task_for_and_colorlab_train(tmp_path, capsys):
    net = models.load("pix2pix_unet_small")
    task = task_for(net, lr=1e-4, loss="lsgan")
    assert isinstance(task, pix2pix.Pix2PixTask) and task.gan_mode == "lsgan" and task.scheme == "pix2pix"
    assert task.optimizers["generator"].param_groups[0]["lr"] == pytest.approx(1e-4)
    assert task.nets["discriminator"].model[0].out_channels == 16  # D as wide as G
    args = ["train", "--model", "pix2pix_unet_small", "--data", "synthetic", "--limit", "8", "--batch-size", "4",
            "--out", str(tmp_path), "--quiet", "--lr", "2e-4"]
    assert main([*args, "--size", "64", "--max-steps", "1"]) == 0
    assert "for 1 steps" in capsys.readouterr().out
    checkpoint = torch.load(tmp_path / CHECKPOINT_NAME, weights_only=False)
    assert {"G_GAN", "G_L1", "D_real", "D_fake"} <= set(checkpoint["history"]["losses"])
    loaded = models.load("pix2pix_unet_small", weights=str(tmp_path / "model.pt"))
    torch.testing.assert_close(loaded.state_dict()["up.0.1.weight"], checkpoint["nets"]["generator"]["up.0.1.weight"])
    assert main([*args, "--size", "32", "--max-steps", "1", "--out", str(tmp_path / "wrong")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "multiples of 64" in err
    assert main([*args, "--size", "64", "--max-steps", "1", "--loss", "hinge", "--out", str(tmp_path / "bad")]) == 2
    assert "unknown GAN loss 'hinge'" in capsys.readouterr().err


# --- figures and exercise checks ---------------------------------------------------------------------------


def test_plot_curves_groups_logged_series():
    history = History()
    for step in range(1, 31):
        history.log_step(step, {"G_GAN": 1.0 + step, "G_L1": 10.0, "D(real)": 0.6, "D(fake)": 0.4})
    fig = viz.plot_curves(history, {"generator": ["G_GAN", "G_L1"], "D outputs": ["D(real)", "D(fake)"]}, smooth=5)
    assert [ax.get_title() for ax in fig.axes] == ["generator", "D outputs"]
    line = fig.axes[0].get_lines()[1]  # G_GAN smoothed: moving average over 5 steps
    assert list(line.get_ydata())[:2] == pytest.approx([4.0, 5.0]) and list(line.get_xdata())[0] == 5
    with pytest.raises(ColorlabError, match="'nope'"):
        viz.plot_curves(history, {"x": ["nope"]})
    matplotlib.pyplot.close("all")


def _receptive_field_solution(layers):
    size = 1
    for kernel, stride in reversed(list(layers)):
        size = (size - 1) * stride + kernel
    return size


def _forward_formula(layers):  # the same walk in forward order: a correct alternative
    size, jump = 1, 1
    for kernel, stride in layers:
        size += (kernel - 1) * jump
        jump *= stride
    return size


def _sum_of_kernels(layers):
    return sum(kernel for kernel, _ in layers)


def _backward_formula_in_forward_order(layers):
    size = 1
    for kernel, stride in layers:
        size = (size - 1) * stride + kernel
    return size


def _no_minus_one(layers):
    size = 1
    for kernel, stride in reversed(list(layers)):
        size = size * stride + kernel
    return size


def test_receptive_field_check(capsys):
    assert exercises.check_receptive_field(_receptive_field_solution)
    assert exercises.check_receptive_field(_forward_formula)
    assert "Correct" in capsys.readouterr().out
    for student, hint in [
        (_sum_of_kernels, "ignores the strides"),
        (_backward_formula_in_forward_order, "start with the last layer"),
        (_no_minus_one, "r - 1 steps apart"),
        (None, "still None"),
        (lambda layers: exec("raise NotImplementedError"), "NotImplementedError"),
    ]:
        assert not exercises.check_receptive_field(student)
        assert hint in capsys.readouterr().out


def _g_loss_solution(d_fake, ab_fake, ab_real):
    return -torch.log(torch.sigmoid(d_fake)).mean() + 100 * (ab_fake - ab_real).abs().mean()


@pytest.mark.parametrize(
    "student, hint",
    [
        (lambda d, f, r: -torch.log(torch.sigmoid(d)).mean() + (f - r).abs().mean(), "weighted by lambda"),
        (lambda d, f, r: -torch.log(1 - torch.sigmoid(d)).mean() + 100 * (f - r).abs().mean(), "rewarded"),
        (lambda d, f, r: -torch.log(d.clamp(min=1e-6)).mean() + 100 * (f - r).abs().mean(), "logits"),
        (lambda d, f, r: -torch.log(torch.sigmoid(d)).mean() + 100 * ((f - r) ** 2).mean(), "not the squared error"),
        (lambda d, f, r: 100 * (f - r).abs().mean(), "GAN term"),
        (lambda d, f, r: 0.5 * (-torch.log(torch.sigmoid(d)).mean() + 100 * (f - r).abs().mean()), "halved"),
    ],
)
def test_generator_loss_check_hints(capsys, student, hint):
    assert not exercises.check_pix2pix_generator_loss(student)
    assert hint in capsys.readouterr().out


def test_generator_loss_check_passes_solutions(capsys):
    assert exercises.check_pix2pix_generator_loss(_g_loss_solution)
    assert exercises.check_pix2pix_generator_loss(lambda d, f, r: pix2pix.generator_loss(d, f, r)["total"].item())
    assert "Correct" in capsys.readouterr().out


def test_training_on_each_device(device):
    torch.manual_seed(0)
    data = SyntheticScenes(n=8, size=32, seed=0, scheme="pix2pix")
    task = _tiny_unet().training_task(lr=2e-4, loss="vanilla", data=data)
    config = TrainConfig(epochs=1, batch_size=4, progress=False, device=str(device), amp=True)
    history = Trainer(task, data, config).fit()
    assert len(history.steps) == 2 and all(math.isfinite(v) for values in history.losses.values() for v in values)
    assert next(task.nets["discriminator"].parameters()).device.type == device.type
    gradient = pix2pix.input_gradient(task.nets["discriminator"], 96)
    assert pix2pix.support_box(gradient)[2:] == (70, 70)
