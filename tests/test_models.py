"""The model registry and the ResNet-18 regression colorizer."""

import urllib.error
from pathlib import Path

import pytest
import torch
import torchvision

from colorlab import models
from colorlab.io import ColorlabError
from colorlab.models import registry, regression


def test_registry_lists_and_builds():
    assert "resnet18_regression" in models.available()
    assert "resnet18_regression" in models.describe()
    model = models.load("resnet18_regression")
    assert isinstance(model, regression.ResNet18Regression)
    assert model.scheme == "zhang" and model.input_size == 128
    with pytest.raises(ColorlabError, match="unknown model 'nope'.*resnet18_regression"):
        models.load("nope")


@pytest.mark.parametrize("size", [(32, 32), (64, 96)])
def test_regression_shapes_and_encoder_layout(size):
    model = regression.ResNet18Regression().eval()
    l_norm = torch.rand(2, 1, *size) - 0.5
    features = model.encoder(l_norm)
    assert features.shape == (2, 128, size[0] // 8, size[1] // 8)  # layer2: 128 channels at 1/8
    assert model(l_norm).shape == (2, 2, *size)
    assert model.encoder[0].weight.shape == (64, 1, 7, 7)


@pytest.mark.parametrize("depth, parameters", [(2, 901_602), (3, 3_570_818)])
def test_regression_with_skips_sees_fine_features(depth, parameters):
    model = models.load("resnet18_regression", depth=depth, skips=True).eval()
    assert sum(p.numel() for p in model.parameters()) == parameters
    assert len(model.encoder) == 4 + depth
    l_norm = torch.rand(1, 1, 48, 80) - 0.5
    assert model(l_norm).shape == (1, 2, 48, 80)
    # a change in one input pixel reaches the output through the 1/2-resolution skip: the output
    # near that pixel changes more than far away from it
    bumped = l_norm.clone()
    bumped[0, 0, 24, 40] += 1.0
    with torch.no_grad():
        change = (model(bumped) - model(l_norm)).abs().sum(dim=1)[0]
    assert change[20:28, 36:44].mean() > 10 * change[:, :8].mean()


def test_regression_depth3_needs_skips():
    with pytest.raises(ColorlabError, match="depth 3 with skips=True"):
        models.load("resnet18_regression", depth=3)


def _fake_imagenet_state() -> dict:
    generator = torch.Generator().manual_seed(0)
    state = torchvision.models.resnet18(weights=None).state_dict()
    return {key: torch.randn(value.shape, generator=generator) if value.is_floating_point() else value for key, value in state.items()}


def test_imagenet_weights_sum_rgb_filters(monkeypatch):
    state = _fake_imagenet_state()
    monkeypatch.setattr(type(regression.IMAGENET_WEIGHTS), "get_state_dict", lambda self, **kwargs: state)
    model = models.load("resnet18_regression", weights="imagenet")
    torch.testing.assert_close(model.encoder[0].weight, state["conv1.weight"].sum(dim=1, keepdim=True))
    torch.testing.assert_close(model.encoder[5][1].conv2.weight, state["layer2.1.conv2.weight"])
    torch.testing.assert_close(model.encoder[1].running_var, state["bn1.running_var"])
    deeper = models.load("resnet18_regression", weights="imagenet", depth=3, skips=True)
    torch.testing.assert_close(deeper.encoder[6][0].conv1.weight, state["layer3.0.conv1.weight"])


def test_imagenet_weights_offline_is_one_line_error(monkeypatch):
    def offline(self, **kwargs):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(type(regression.IMAGENET_WEIGHTS), "get_state_dict", offline)
    with pytest.raises(ColorlabError) as error:
        models.load("resnet18_regression", weights="imagenet")
    message = str(error.value)
    assert "\n" not in message and "resnet18-f37072fd.pth" in message and "weights=None" in message


def test_weights_from_local_file_and_checkpoint(tmp_path):
    source = regression.ResNet18Regression()
    torch.nn.init.normal_(source.head[-2].weight)
    torch.save(source.state_dict(), tmp_path / "plain.pt")
    torch.save({"nets": {"model": source.state_dict()}, "step": 3}, tmp_path / "checkpoint.pt")
    for path in ("plain.pt", "checkpoint.pt"):
        loaded = models.load("resnet18_regression", weights=str(tmp_path / path))
        torch.testing.assert_close(loaded.head[-2].weight, source.head[-2].weight)
    with pytest.raises(ColorlabError, match="not found"):
        models.load("resnet18_regression", weights=str(tmp_path / "missing.pt"))
    (tmp_path / "junk.pt").write_bytes(b"junk")
    with pytest.raises(ColorlabError, match="cannot read weights"):
        models.load("resnet18_regression", weights=str(tmp_path / "junk.pt"))
    torch.save({"head.0.weight": torch.zeros(1)}, tmp_path / "wrong.pt")
    with pytest.raises(ColorlabError, match="do not fit"):
        models.load("resnet18_regression", weights=str(tmp_path / "wrong.pt"))


def test_save_bundled_round_trip_fp16(tmp_path, monkeypatch):
    from colorlab.models import registry

    torch.manual_seed(1)
    trained = regression.ResNet18Regression(input_size=96)
    torch.save({"nets": {"model": trained.state_dict()}}, tmp_path / "checkpoint.pt")
    monkeypatch.setattr(registry, "BUNDLED_DIR", tmp_path / "weights")
    path = registry.save_bundled("resnet18_regression", str(tmp_path / "checkpoint.pt"), options={"input_size": 96},
                                 meta={"steps": 10})
    assert path == tmp_path / "weights" / "resnet18_regression.pt"
    saved = torch.load(path, weights_only=True)
    assert saved["state_dict"]["head.0.weight"].dtype == torch.float16 and saved["meta"] == {"steps": 10}
    assert models.bundled() == ["resnet18_regression"]
    loaded = models.load("resnet18_regression", weights="bundled")
    assert loaded.input_size == 96
    torch.testing.assert_close(loaded.head[0].weight, trained.head[0].weight, atol=1e-3, rtol=1e-3)
    with pytest.raises(ColorlabError, match="no bundled weights for 'eccv16_small'"):
        models.load("eccv16_small", weights="bundled")
    with pytest.raises(ColorlabError, match="do not fit"):
        registry.save_bundled("eccv16_small", str(tmp_path / "checkpoint.pt"))


@pytest.mark.parametrize("options", [{}, {"depth": 3, "skips": True}])
def test_ab_scale_multiplies_the_output(options):
    torch.manual_seed(0)
    plain = models.load("resnet18_regression", **options).eval()
    scaled = models.load("resnet18_regression", ab_scale=1.25, **options).eval()
    scaled.load_state_dict(plain.state_dict())
    l_norm = torch.rand(1, 1, 32, 32) - 0.5
    with torch.no_grad():
        torch.testing.assert_close(scaled(l_norm), 1.25 * plain(l_norm))


@pytest.mark.parametrize("name", ["resnet18_regression", "resnet18_classifier"])
def test_ab_spread_widens_colours_around_the_images_mean(name):
    from colorlab.color import scale_ab

    torch.manual_seed(0)
    options = {"depth": 3, "skips": True} if name == "resnet18_regression" else {}
    plain = models.load(name, width=32, **options).eval()
    spread = models.load(name, width=32, ab_spread=1.5, ab_scale=1.2, **options).eval()
    spread.load_state_dict(plain.state_dict())
    l_norm = torch.rand(2, 1, 32, 32) - 0.5
    with torch.no_grad():
        ab, widened = plain(l_norm), spread(l_norm)
        assert ab.std(dim=(-2, -1)).min() > 1e-4  # varied colours, so the spread is visible
        # bilinear resizing keeps means and is linear: spreading before it = spreading after it
        torch.testing.assert_close(widened, scale_ab(ab, 1.2, 1.5), atol=1e-5, rtol=1e-4)
        if hasattr(plain, "predict_ab"):  # the classifier's decoding path (what colorize calls)
            for kwargs in ({"temperature": 0.5}, {"method": "mode"}):
                torch.testing.assert_close(
                    spread.predict_ab(l_norm, **kwargs), scale_ab(plain.predict_ab(l_norm, **kwargs), 1.2, 1.5), atol=1e-5, rtol=1e-4
                )


def test_ab_scale_multiplies_a_classifiers_decoded_ab():
    torch.manual_seed(0)
    plain = models.load("resnet18_classifier", width=32).eval()
    scaled = models.load("resnet18_classifier", width=32, ab_scale=1.25).eval()
    scaled.load_state_dict(plain.state_dict())
    l_norm = torch.rand(1, 1, 32, 32) - 0.5
    with torch.no_grad():
        assert plain(l_norm).abs().max() > 0.01  # not all grey, so the factor is visible
        torch.testing.assert_close(scaled(l_norm), 1.25 * plain(l_norm))
        torch.testing.assert_close(scaled.predict_ab(l_norm, temperature=0.5), 1.25 * plain.predict_ab(l_norm, temperature=0.5))
        torch.testing.assert_close(scaled.predict_ab(l_norm, method="mode"), 1.25 * plain.predict_ab(l_norm, method="mode"))


def test_classifier_is_the_regression_unet_with_eccv16s_head(tmp_path):
    from colorlab import bins
    from colorlab.models.zhang import BinClassifier

    model = models.load("resnet18_classifier").eval()
    assert isinstance(model, BinClassifier) and isinstance(model, regression.ResNet18Regression)
    assert model.scheme == "zhang" and model.input_size == 64 and model.temperature == pytest.approx(0.38)
    q = bins.gamut_bins().shape[0]
    assert model.num_classes == q
    torch.testing.assert_close(model.centres, bins.gamut_bins().float(), atol=1e-4, rtol=0)
    # same trunk as the regression U-Net: only the last convolution (48 -> Q instead of 48 -> 2) differs
    regressor = models.load("resnet18_regression", depth=3, skips=True)
    extra = sum(p.numel() for p in model.parameters()) - sum(p.numel() for p in regressor.parameters())
    assert extra == (q - 2) * (48 * 9 + 1) + 2 * q  # wider last conv + the fixed centres (model_out)
    l_norm = torch.rand(2, 1, 64, 96) - 0.5
    with torch.no_grad():
        raw = model(l_norm, output="logits")
        assert raw.shape == (2, q, 32, 48)
        ab_norm = model(l_norm)
        assert ab_norm.shape == (2, 2, 64, 96)
        # forward is the annealed mean at model.temperature, as bins.decode computes it
        torch.testing.assert_close(ab_norm, model.predict_ab(l_norm), atol=1e-5, rtol=0)
        own, annealed = model.class_distribution(l_norm), model.class_distribution(l_norm, temperature=0.38)
    torch.testing.assert_close(own.sum(dim=1), torch.ones(2, 32, 48))
    entropy = [-(p * p.log()).sum(dim=1).mean() for p in (own, annealed)]
    assert entropy[1] < entropy[0]  # annealing sharpens the distribution towards its mode
    with pytest.raises(ColorlabError, match="output must be"):
        model(l_norm, output="nope")
    with pytest.raises(ColorlabError, match="temperature must be > 0"):
        models.load("resnet18_classifier", temperature=0)


def test_classifier_starts_from_a_regression_file(tmp_path):
    torch.manual_seed(0)
    regressor = models.load("resnet18_regression", depth=3, skips=True)
    torch.save(regressor.state_dict(), tmp_path / "regression.pt")
    model = models.load("resnet18_classifier", weights=str(tmp_path / "regression.pt"))
    own, theirs = model.state_dict(), regressor.state_dict()
    assert own["head.out.weight"].shape[0] == model.num_classes
    for key in theirs:
        if not key.startswith("head.out."):
            torch.testing.assert_close(own[key], theirs[key])
    # and a classifier file loads as it is
    torch.save(own, tmp_path / "classifier.pt")
    again = models.load("resnet18_classifier", weights=str(tmp_path / "classifier.pt"))
    torch.testing.assert_close(again.state_dict()["head.out.weight"], own["head.out.weight"])
    # a regression file of another shape is a one-line error
    torch.save(models.load("resnet18_regression").state_dict(), tmp_path / "plain.pt")
    with pytest.raises(ColorlabError, match="weights do not fit ResNet18Classifier"):
        models.load("resnet18_classifier", weights=str(tmp_path / "plain.pt"))


@pytest.mark.parametrize("name", sorted(registry.CATALOGUE))
def test_catalogue_matches_the_built_network(name):
    """The numbers `colorlab models` prints without building anything are the built network's."""
    info = registry.CATALOGUE[name]
    path = registry.bundled_path(name)
    net = models.load(name, weights="bundled") if path.is_file() else models.load(name)
    assert sum(parameter.numel() for parameter in net.parameters()) == info.parameters
    assert net.input_size == info.input_size
    assert ("official" in registry._REGISTRY[name].weights) == info.released
    assert type(net).__module__ == f"colorlab.models.{info.family}"


def test_a_family_cannot_register_an_unlisted_name():
    with pytest.raises(ValueError, match="missing from colorlab.models.registry.CATALOGUE"):
        registry.register("not_in_the_catalogue", "x")(lambda weights=None: None)


@pytest.mark.parametrize("env", [{}, {"TORCH_HOME": "/tmp/th"}, {"XDG_CACHE_HOME": "/tmp/xdg"}, {"TORCH_HOME": "~/th"}])
def test_released_cache_dir_is_torch_hubs(env, monkeypatch):
    import torch

    from colorlab.models import released

    for key in ("TORCH_HOME", "XDG_CACHE_HOME"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert released.cache_dir() == Path(torch.hub.get_dir()) / "checkpoints"
