"""Zhang et al.'s ECCV16 and SIGGRAPH17 networks: official layout, shapes, temperature, training,
weights (the "official" download against a server on 127.0.0.1) and the reference inference.

Behaviour is tested on width-0.125 networks; full-size networks are only built (to compare the
state_dict with the official layout) or saved (to serve a file with that layout).
"""

from __future__ import annotations

import functools
import hashlib
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
import torch
import torch.nn.functional as F

from colorlab import bins, models
from colorlab.color import l_ab_to_rgb
from colorlab.pipeline import colorize_l
from colorlab.data import SyntheticScenes
from colorlab.io import ColorlabError
from colorlab.models import zhang
from colorlab.train import TrainConfig, Trainer

torch.set_num_threads(1)

# ------------------------------------------------------------------------------------------
# The official layout, written down from the architecture of richzhang/colorization's
# colorizers/eccv16.py and colorizers/siggraph17.py (module index in its nn.Sequential, kind,
# in channels, out channels, kernel). "conv": Conv2d with bias; "convT": ConvTranspose2d with
# bias (weight is in x out x k x k); "conv-": Conv2d without bias; "bn": BatchNorm2d(out).

ECCV16_LAYOUT = [
    ("model1.0", "conv", 1, 64, 3), ("model1.2", "conv", 64, 64, 3), ("model1.4", "bn", 0, 64, 0),
    ("model2.0", "conv", 64, 128, 3), ("model2.2", "conv", 128, 128, 3), ("model2.4", "bn", 0, 128, 0),
    ("model3.0", "conv", 128, 256, 3), ("model3.2", "conv", 256, 256, 3), ("model3.4", "conv", 256, 256, 3),
    ("model3.6", "bn", 0, 256, 0),
    ("model4.0", "conv", 256, 512, 3), ("model4.2", "conv", 512, 512, 3), ("model4.4", "conv", 512, 512, 3),
    ("model4.6", "bn", 0, 512, 0),
    ("model5.0", "conv", 512, 512, 3), ("model5.2", "conv", 512, 512, 3), ("model5.4", "conv", 512, 512, 3),
    ("model5.6", "bn", 0, 512, 0),
    ("model6.0", "conv", 512, 512, 3), ("model6.2", "conv", 512, 512, 3), ("model6.4", "conv", 512, 512, 3),
    ("model6.6", "bn", 0, 512, 0),
    ("model7.0", "conv", 512, 512, 3), ("model7.2", "conv", 512, 512, 3), ("model7.4", "conv", 512, 512, 3),
    ("model7.6", "bn", 0, 512, 0),
    ("model8.0", "convT", 512, 256, 4), ("model8.2", "conv", 256, 256, 3), ("model8.4", "conv", 256, 256, 3),
    ("model8.6", "conv", 256, 313, 1),
    ("model_out", "conv-", 313, 2, 1),
]

SIGGRAPH17_LAYOUT = [
    ("model1.0", "conv", 4, 64, 3), ("model1.2", "conv", 64, 64, 3), ("model1.4", "bn", 0, 64, 0),
    ("model2.0", "conv", 64, 128, 3), ("model2.2", "conv", 128, 128, 3), ("model2.4", "bn", 0, 128, 0),
    ("model3.0", "conv", 128, 256, 3), ("model3.2", "conv", 256, 256, 3), ("model3.4", "conv", 256, 256, 3),
    ("model3.6", "bn", 0, 256, 0),
    ("model4.0", "conv", 256, 512, 3), ("model4.2", "conv", 512, 512, 3), ("model4.4", "conv", 512, 512, 3),
    ("model4.6", "bn", 0, 512, 0),
    ("model5.0", "conv", 512, 512, 3), ("model5.2", "conv", 512, 512, 3), ("model5.4", "conv", 512, 512, 3),
    ("model5.6", "bn", 0, 512, 0),
    ("model6.0", "conv", 512, 512, 3), ("model6.2", "conv", 512, 512, 3), ("model6.4", "conv", 512, 512, 3),
    ("model6.6", "bn", 0, 512, 0),
    ("model7.0", "conv", 512, 512, 3), ("model7.2", "conv", 512, 512, 3), ("model7.4", "conv", 512, 512, 3),
    ("model7.6", "bn", 0, 512, 0),
    ("model8up.0", "convT", 512, 256, 4), ("model3short8.0", "conv", 256, 256, 3),
    ("model8.1", "conv", 256, 256, 3), ("model8.3", "conv", 256, 256, 3), ("model8.5", "bn", 0, 256, 0),
    ("model9up.0", "convT", 256, 128, 4), ("model2short9.0", "conv", 128, 128, 3),
    ("model9.1", "conv", 128, 128, 3), ("model9.3", "bn", 0, 128, 0),
    ("model10up.0", "convT", 128, 128, 4), ("model1short10.0", "conv", 64, 128, 3),
    ("model10.1", "conv", 128, 128, 3),
    ("model_class.0", "conv", 256, 529, 1),
    ("model_out.0", "conv", 128, 2, 1),
]


def _expand(layout) -> dict[str, tuple[int, ...]]:
    """state_dict key -> shape for a layout table."""
    shapes = {}
    for module, kind, cin, cout, k in layout:
        if kind == "bn":
            for name in ("weight", "bias", "running_mean", "running_var"):
                shapes[f"{module}.{name}"] = (cout,)
            shapes[f"{module}.num_batches_tracked"] = ()
        else:
            shapes[f"{module}.weight"] = (cin, cout, k, k) if kind == "convT" else (cout, cin, k, k)
            if kind != "conv-":
                shapes[f"{module}.bias"] = (cout,)
    return shapes


def _parameters(shapes: dict) -> int:
    return sum(torch.Size(shape).numel() for key, shape in shapes.items() if not key.endswith(("running_mean", "running_var", "num_batches_tracked")))


@pytest.mark.parametrize(
    "family, layout, tensors, parameters",
    [("eccv16", ECCV16_LAYOUT, 82, 32_236_011), ("siggraph17", SIGGRAPH17_LAYOUT, 107, 34_187_027)],
)
def test_full_networks_have_exactly_the_official_keys_shapes_and_counts(family, layout, tensors, parameters):
    expected = _expand(layout)
    # the counts of the issue follow from the layout (state_dict entries include the BN statistics)
    assert len(expected) == tensors and _parameters(expected) == parameters
    model = zhang.ECCV16(centres=torch.zeros(313, 2)) if family == "eccv16" else zhang.SIGGRAPH17()
    state = model.state_dict()
    assert {key: tuple(value.shape) for key, value in state.items()} == expected
    assert sum(parameter.numel() for parameter in model.parameters()) == parameters


def test_width_scales_hidden_channels_only():
    eccv = zhang.ECCV16(width=0.125, centres=torch.zeros(50, 2))
    assert eccv.model1[0].weight.shape == (8, 1, 3, 3)
    assert eccv.model4[4].weight.shape == (64, 64, 3, 3)
    assert eccv.model8[6].weight.shape == (50, 32, 1, 1)
    assert eccv.model_out.weight.shape == (2, 50, 1, 1) and eccv.num_classes == 50
    siggraph = zhang.SIGGRAPH17(width=0.125)
    assert siggraph.model1[0].weight.shape == (8, 4, 3, 3)
    assert siggraph.model1short10[0].weight.shape == (16, 8, 3, 3)
    assert siggraph.model_class[0].weight.shape == (529, 32, 1, 1)
    assert siggraph.model_out[0].weight.shape == (2, 16, 1, 1)
    # same key names as the full networks
    assert set(siggraph.state_dict()) == set(_expand(SIGGRAPH17_LAYOUT))
    with pytest.raises(ColorlabError, match="width must be a number > 0"):
        zhang.ECCV16(width=0)


def test_default_centres_and_model_out_hold_them():
    model = zhang.ECCV16(width=0.125)
    centres = bins.gamut_bins()
    assert model.num_classes == centres.shape[0]
    torch.testing.assert_close(model.model_out.weight[:, :, 0, 0], centres.T / 110)
    torch.testing.assert_close(model.centres, centres)
    assert not model.model_out.weight.requires_grad  # the decoding matrix is fixed
    assert model.scheme == "zhang" and model.input_size == 256 and model.temperature == 0.38


def test_siggraph_class_centres_follow_the_released_grid():
    centres = zhang.siggraph_class_centres()
    assert centres.shape == (529, 2)
    # class index = a_index * 23 + b_index, values -110 ... 110 in steps of 10
    assert centres[0].tolist() == [-110.0, -110.0] and centres[1].tolist() == [-110.0, -100.0]
    assert centres[23].tolist() == [-100.0, -110.0] and centres[528].tolist() == [110.0, 110.0]
    assert centres[11 * 23 + 11].tolist() == [0.0, 0.0]


# ------------------------------------------------------------------------------------------
# shapes


def _small_eccv16(seed: int = 0, **options) -> zhang.ECCV16:
    torch.manual_seed(seed)
    return zhang.ECCV16(width=0.125, **options).eval()


def _small_siggraph17(seed: int = 0) -> zhang.SIGGRAPH17:
    torch.manual_seed(seed)
    return zhang.SIGGRAPH17(width=0.125).eval()


@pytest.mark.parametrize("size", [(32, 32), (40, 24), (30, 45)])
def test_forward_shapes(size):
    height, width = size
    l_norm = torch.rand(2, 1, height, width) - 0.5
    eccv = _small_eccv16()
    with torch.no_grad():
        assert eccv(l_norm).shape == (2, 2, height, width)
        logits = eccv.logits(l_norm)
        assert logits.shape == (2, eccv.num_classes, 2 * -(-height // 8), 2 * -(-width // 8))
        assert eccv.class_distribution(l_norm).shape == logits.shape
        assert eccv.predict_ab(l_norm, method="mode").shape == (2, 2, height, width)
        siggraph = _small_siggraph17()
        ab_norm = siggraph(l_norm)
        assert ab_norm.shape == (2, 2, height, width)
        assert ab_norm.abs().max() <= 1.0  # tanh
        assert siggraph.logits(l_norm).shape == (2, 529, -(-height // 4), -(-width // 4))
        ab_pred, scores = siggraph(l_norm, output="both")
        torch.testing.assert_close(ab_pred, ab_norm)


def test_siggraph_pads_sizes_that_are_not_multiples_of_8():
    model = _small_siggraph17()
    l_norm = torch.rand(1, 1, 30, 45) - 0.5
    padded = F.pad(l_norm, (0, 3, 0, 2), mode="replicate")
    with torch.no_grad():
        torch.testing.assert_close(model(l_norm), model(padded)[:, :, :30, :45])


def test_siggraph_default_hints_are_zeros_and_hints_change_the_output():
    model = _small_siggraph17()
    l_norm = torch.rand(1, 1, 32, 32) - 0.5
    zeros_ab, zeros_mask = torch.zeros(1, 2, 32, 32), torch.zeros(1, 1, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(model(l_norm), model(l_norm, zeros_ab, zeros_mask))
        hint = zeros_ab.clone()
        hint[:, :, 10:13, 10:13] = 0.5
        mask = zeros_mask.clone()
        mask[:, :, 10:13, 10:13] = 1
        assert (model(l_norm, hint, mask) - model(l_norm)).abs().max() > 1e-4
    with pytest.raises(ColorlabError, match="must have the size of l_norm"):
        model(l_norm, torch.zeros(1, 2, 16, 16), torch.zeros(1, 1, 16, 16))
    with pytest.raises(ColorlabError, match=r"l_norm must be a \(N, 1, H, W\) tensor"):
        model(torch.zeros(1, 3, 32, 32))


# ------------------------------------------------------------------------------------------
# temperature


def _sharpened(model: zhang.ECCV16, factor: float) -> zhang.ECCV16:
    """The same network with its class scores multiplied by ``factor``."""
    with torch.no_grad():
        model.model8[6].weight.mul_(factor)
        model.model8[6].bias.mul_(factor)
    return model


def test_temperature_one_is_the_mean_and_large_temperature_is_the_centre_average():
    model = _small_eccv16()
    l_norm = torch.rand(2, 1, 32, 32) - 0.5
    with torch.no_grad():
        torch.testing.assert_close(model.predict_ab(l_norm, temperature=1.0), model.predict_ab(l_norm, method="mean"))
        flat = model.predict_ab(l_norm, temperature=1e6)
    average = model.centres.mean(dim=0) / 110
    torch.testing.assert_close(flat, average.view(1, 2, 1, 1).expand_as(flat), atol=1e-4, rtol=0)


def test_small_temperature_tends_to_the_mode():
    model = _sharpened(_small_eccv16(), 200.0)  # scores far apart: no near-ties between bins
    l_norm = torch.rand(2, 1, 32, 32) - 0.5
    with torch.no_grad():
        scores = model.true_logits(l_norm).topk(2, dim=1).values
        assert (scores[:, 0] - scores[:, 1]).min() > 0.01
        cold = model.predict_ab(l_norm, temperature=1e-4)
        mode = model.predict_ab(l_norm, method="mode")
    torch.testing.assert_close(cold, mode, atol=1e-5, rtol=0)


def test_forward_is_the_annealed_mean_at_the_model_temperature():
    model = _small_eccv16()
    l_norm = torch.rand(2, 1, 32, 32) - 0.5
    with torch.no_grad():
        torch.testing.assert_close(model(l_norm), model.predict_ab(l_norm), atol=1e-5, rtol=0)
        torch.testing.assert_close(model(l_norm), model.predict_ab(l_norm, temperature=0.38), atol=1e-5, rtol=0)


def test_folded_inverse_temperature_keeps_temperature_meaning_the_same():
    ours = _small_eccv16(seed=3)
    released = _sharpened(_small_eccv16(seed=3, folded_inverse_temperature=2.606), 2.606)
    assert released.temperature == pytest.approx(1 / 2.606)
    l_norm = torch.rand(2, 1, 32, 32) - 0.5
    with torch.no_grad():
        torch.testing.assert_close(released.true_logits(l_norm), ours.true_logits(l_norm), atol=1e-5, rtol=1e-5)
        for temperature in (None, 0.5):
            torch.testing.assert_close(
                released.class_distribution(l_norm, temperature), ours.class_distribution(l_norm, temperature)
            )
        torch.testing.assert_close(released.predict_ab(l_norm, temperature=0.7), ours.predict_ab(l_norm, temperature=0.7))
        # the released forward pass, written out: softmax of the raw scores, model_out, x4 bilinear
        raw = released.logits(l_norm)
        official = F.interpolate(
            torch.einsum("nqhw,cq->nchw", torch.softmax(raw, dim=1), released.model_out.weight[:, :, 0, 0]),
            scale_factor=4,
            mode="bilinear",
            align_corners=False,
        )
        torch.testing.assert_close(released(l_norm), official, atol=1e-6, rtol=0)
        torch.testing.assert_close(released(l_norm), released.predict_ab(l_norm, temperature=1 / 2.606), atol=1e-5, rtol=0)
        torch.testing.assert_close(released(l_norm), ours.predict_ab(l_norm, temperature=1 / 2.606), atol=1e-5, rtol=0)


# ------------------------------------------------------------------------------------------
# training


def test_eccv16_loss_soft_encodes_the_subsampled_truth():
    model = _small_eccv16(seed=1)
    task = model.training_task(lr=1e-3)
    assert task.class_weights is None  # no data: no rebalancing
    raw = torch.randn(2, model.num_classes, 8, 8)
    ab_norm = torch.rand(2, 2, 32, 32) - 0.5
    target = bins.soft_encode(ab_norm[:, :, ::4, ::4] * 110, model.centres, k=5, sigma=5.0)
    expected = -(target * torch.log_softmax(raw, dim=1)).sum(dim=1).mean()
    torch.testing.assert_close(task.loss(raw, ab_norm), expected)


def test_eccv16_prior_from_data_gives_rebalancing_weights():
    data = SyntheticScenes(n=24, size=32, seed=0)
    model = _small_eccv16()
    task = model.training_task(lr=1e-3, data=data)
    centres = model.centres
    assert task.prior.shape == (model.num_classes,) and task.prior.sum().item() == pytest.approx(1.0)
    torch.testing.assert_close(task.class_weights, bins.rebalancing_weights(task.prior, centres, lam=0.5, sigma=5.0).float())
    # rare colours weigh more than frequent ones
    assert task.class_weights[task.prior.argmax()] < task.class_weights[task.prior.argmin()]
    with pytest.raises(ColorlabError, match="unknown loss 'l2' for ECCV16"):
        model.training_task(loss="l2")


def _train(model, loss=None, steps_data=16, epochs=8):
    torch.manual_seed(0)
    data = SyntheticScenes(n=steps_data, size=32, seed=1)
    task = model.training_task(lr=2e-3, loss=loss, data=data)
    config = TrainConfig(epochs=epochs, batch_size=8, checkpoint_every=0, device="cpu", progress=False, seed=0)
    history = Trainer(task, data, config).fit()
    return task, history


def test_eccv16_training_decreases_the_rebalanced_loss():
    model = zhang.ECCV16(width=0.125)
    task, history = _train(model)
    losses = history.losses["loss"]
    assert len(losses) == 16
    assert sum(losses[-3:]) / 3 < 0.8 * sum(losses[:3]) / 3
    l_norm = torch.rand(2, 1, 32, 32) - 0.5
    assert task.predict_ab(l_norm).shape == (2, 2, 32, 32)


def test_siggraph17_training_decreases_the_huber_loss():
    model = zhang.SIGGRAPH17(width=0.125)
    task, history = _train(model, loss="huber+class")
    assert task.class_weight == 1.0
    huber = history.losses["huber"]
    assert sum(huber[-3:]) / 3 < 0.8 * sum(huber[:3]) / 3
    total = [h + c for h, c in zip(huber, history.losses["class"])]
    torch.testing.assert_close(torch.tensor(history.losses["loss"]), torch.tensor(total))
    with pytest.raises(ColorlabError, match="unknown loss 'mse' for SIGGRAPH17"):
        model.training_task(loss="mse")


# ------------------------------------------------------------------------------------------
# weights: "official" from a local server, and local files


@pytest.fixture
def weights_server(tmp_path):
    """A static file server on 127.0.0.1 for ``tmp_path / "served"``; records the requested paths."""
    served = tmp_path / "served"
    served.mkdir()
    requests: list[str] = []

    class Handler(SimpleHTTPRequestHandler):
        def log_message(self, format, *args):  # noqa: A002 - quiet, but remember the request
            requests.append(self.path)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(served)))
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    host, port = httpd.server_address[:2]
    yield served, f"http://{host}:{port}", requests
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


def _random_state(layout) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    return {
        key: torch.tensor(5) if key.endswith("num_batches_tracked") else torch.randn(shape, generator=generator) * 0.01
        for key, shape in _expand(layout).items()
    }


def _sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def hub(monkeypatch, tmp_path):
    """torch.hub's folder inside tmp_path; returns its checkpoints folder."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    return tmp_path / "torch" / "hub" / "checkpoints"


def test_official_eccv16_is_downloaded_checked_cached_and_loaded(monkeypatch, weights_server, hub):
    served, base, requests = weights_server
    name = "colorization_release_v2-9b330a0b.pth"
    state = _random_state(ECCV16_LAYOUT)
    torch.save(state, served / name)
    info = zhang.OfficialWeights(f"{base}/{name}", _sha256(served / name)[:8])
    monkeypatch.setitem(zhang.OFFICIAL_WEIGHTS, "eccv16", info)

    model = models.load("eccv16", weights="official")
    assert (hub / name).is_file() and sorted(p.name for p in hub.iterdir()) == [name]
    assert requests == [f"/{name}"]
    for key, value in model.state_dict().items():
        torch.testing.assert_close(value, state[key])
    assert model.num_classes == 313 and model.folded_inverse_temperature == 2.606
    assert model.temperature == pytest.approx(1 / 2.606)
    torch.testing.assert_close(model.centres, state["model_out.weight"][:, :, 0, 0].T * 110)

    # cached: no second request; a local path with the official name is read the same way
    again = models.load("eccv16", weights="official")
    assert requests == [f"/{name}"]
    torch.testing.assert_close(again.model8[6].weight, state["model8.6.weight"])
    local = models.load("eccv16", weights=str(hub / name))
    assert local.folded_inverse_temperature == 2.606


def test_official_siggraph17_from_the_server(monkeypatch, weights_server, hub):
    served, base, requests = weights_server
    name = "siggraph17-df00044c.pth"
    state = _random_state(SIGGRAPH17_LAYOUT)
    torch.save(state, served / name)
    monkeypatch.setitem(zhang.OFFICIAL_WEIGHTS, "siggraph17", zhang.OfficialWeights(f"{base}/{name}", _sha256(served / name)[:8]))
    model = models.load("siggraph17", weights="official")
    torch.testing.assert_close(model.model_class[0].weight, state["model_class.0.weight"])
    assert (hub / name).is_file()


def test_official_weights_with_a_wrong_hash_leave_no_file(monkeypatch, weights_server, hub):
    served, base, _ = weights_server
    name = "siggraph17-df00044c.pth"
    (served / name).write_bytes(b"not the released weights")
    actual = hashlib.sha256(b"not the released weights").hexdigest()
    wrong = "00000000" if not actual.startswith("00000000") else "11111111"
    monkeypatch.setitem(zhang.OFFICIAL_WEIGHTS, "siggraph17", zhang.OfficialWeights(f"{base}/{name}", wrong))
    with pytest.raises(ColorlabError, match=f"checksum mismatch for {name}: expected sha256 prefix {wrong}"):
        models.load("siggraph17", weights="official")
    assert not hub.exists() or list(hub.iterdir()) == []


def test_official_weights_offline_is_one_line_naming_url_and_destination(monkeypatch, hub):
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/colorization_release_v2-9b330a0b.pth"
    monkeypatch.setitem(zhang.OFFICIAL_WEIGHTS, "eccv16", zhang.OfficialWeights(url, "9b330a0b"))
    with pytest.raises(ColorlabError) as error:
        models.load("eccv16", weights="official")
    message = str(error.value)
    assert "\n" not in message and url in message and str(hub / "colorization_release_v2-9b330a0b.pth") in message


def test_small_variants_are_registered_and_load_local_files(tmp_path):
    assert {"eccv16", "siggraph17", "eccv16_small", "siggraph17_small"} <= set(models.available())
    torch.manual_seed(0)
    centres = bins.gamut_bins()[::3]  # a custom set of bins: Q comes back from the file
    trained = models.load("eccv16_small", width=0.125, centres=centres)
    assert trained.width == 0.125 and trained.num_classes == centres.shape[0]
    torch.save(trained.state_dict(), tmp_path / "model.pt")
    loaded = models.load("eccv16_small", weights=str(tmp_path / "model.pt"), width=0.125)
    torch.testing.assert_close(loaded.centres, centres)
    assert loaded.folded_inverse_temperature == 1.0 and loaded.temperature == 0.38
    torch.testing.assert_close(loaded.model5[2].weight, trained.model5[2].weight)

    siggraph = models.load("siggraph17_small", width=0.125)
    torch.save({"nets": {"model": siggraph.state_dict()}}, tmp_path / "checkpoint.pt")
    again = models.load("siggraph17_small", weights=str(tmp_path / "checkpoint.pt"), width=0.125)
    torch.testing.assert_close(again.model_out[0].weight, siggraph.model_out[0].weight)

    with pytest.raises(ColorlabError, match="do not fit"):
        models.load("siggraph17_small", weights=str(tmp_path / "checkpoint.pt"))  # width 0.25
    with pytest.raises(ColorlabError, match="official weights exist only for 'eccv16'"):
        models.load("eccv16_small", weights="official")


# ------------------------------------------------------------------------------------------
# inference with the reference pre/post-processing


class _ConstantColour(torch.nn.Module):
    """Records its input and answers ab_norm = (0.5, -0.25) everywhere."""

    scheme = "zhang"
    input_size = 16

    def __init__(self):
        super().__init__()
        self.seen = None

    def forward(self, l_norm, **kwargs):
        self.seen = (l_norm, kwargs)
        ab = torch.tensor([0.5, -0.25]).view(1, 2, 1, 1)
        return ab.expand(l_norm.shape[0], 2, *l_norm.shape[-2:])


def test_colorize_l_resizes_normalizes_and_upsamples():
    model = _ConstantColour()
    l = torch.full((1, 1, 40, 60), 80.0)  # noqa: E741
    ab = colorize_l(l, model)
    assert ab.shape == (1, 2, 40, 60)
    torch.testing.assert_close(ab[0, :, 0, 0], torch.tensor([55.0, -27.5]))
    l_norm, _ = model.seen
    assert l_norm.shape == (1, 1, 16, 16)
    torch.testing.assert_close(l_norm, torch.full_like(l_norm, 0.3))  # (80 - 50) / 100
    rgb = l_ab_to_rgb(l, colorize_l(l, model, size=(8, 12)))
    assert rgb.shape == (1, 3, 40, 60) and model.seen[0].shape == (1, 1, 8, 12)
    assert 0.0 <= rgb.min() and rgb.max() <= 1.0


def test_colorize_l_with_a_real_network_matches_its_forward_at_input_size():
    model = _small_eccv16()
    model.input_size = 32
    l = torch.rand(1, 1, 32, 32) * 100  # noqa: E741
    with torch.no_grad():
        expected = model((l - 50) / 100) * 110
    torch.testing.assert_close(colorize_l(l, model), expected)
