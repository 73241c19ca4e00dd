"""colorlab.pretext: features of frozen encoders, the linear probe, the random twin."""

import pytest
import torch
from torch import nn

from colorlab import pretext
from colorlab.data import SyntheticScenes
from colorlab.io import ColorlabError


def _toy_encoder() -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.Conv2d(4, 6, 3, stride=2, padding=1))


def test_encoder_features_pool_each_stage_globally():
    encoder = _toy_encoder().train()
    inputs = torch.randn(5, 1, 8, 8)
    features = pretext.encoder_features(encoder, inputs, {"relu": 2, "last": 3}, batch_size=2)
    assert features["relu"].shape == (5, 4) and features["last"].shape == (5, 6)
    with torch.no_grad():
        expected = encoder.eval()(inputs).mean(dim=(2, 3))
    assert torch.allclose(features["last"], expected, atol=1e-6)
    assert (features["relu"] >= 0).all()
    with pytest.raises(ColorlabError, match="stage index 9 does not exist"):
        pretext.encoder_features(encoder, inputs, {"nope": 9})


def test_encoder_features_restore_the_training_mode():
    encoder = _toy_encoder().train()
    pretext.encoder_features(encoder, torch.randn(2, 1, 8, 8), {"last": 3})
    assert encoder.training


def test_linear_probe_separates_separable_classes_and_not_noise():
    generator = torch.Generator().manual_seed(0)
    labels = torch.arange(90) % 3
    centres = torch.tensor([[5.0, 0.0], [0.0, 5.0], [-5.0, -5.0]])
    features = centres[labels] + torch.randn(90, 2, generator=generator)
    result = pretext.linear_probe(features[:60], labels[:60], features[60:], labels[60:])
    assert result.train_accuracy == 1.0 and result.test_accuracy == 1.0
    noise = torch.randn(90, 2, generator=generator)
    chance = pretext.linear_probe(noise[:60], labels[:60], noise[60:], labels[60:])
    assert chance.test_accuracy < 0.6
    with pytest.raises(ColorlabError, match="same number of rows"):
        pretext.linear_probe(features[:60], labels[:59], features[60:], labels[60:])


def test_random_twin_is_the_same_architecture_with_new_seeded_weights():
    model = _toy_encoder()
    model[1].running_mean.fill_(3.0)
    before = {key: value.clone() for key, value in model.state_dict().items()}
    twin = pretext.random_twin(model, seed=1)
    assert [type(m) for m in twin.modules()] == [type(m) for m in model.modules()]
    assert not twin.training
    assert not torch.equal(twin[0].weight, model[0].weight)
    assert torch.equal(twin[1].running_mean, torch.zeros(4))  # BatchNorm statistics forgotten
    assert all(torch.equal(before[key], value) for key, value in model.state_dict().items())  # original untouched
    again = pretext.random_twin(model, seed=1)
    assert torch.equal(again[0].weight, twin[0].weight)
    state = torch.random.get_rng_state()
    pretext.random_twin(model, seed=5)
    assert torch.equal(torch.random.get_rng_state(), state)  # the global generator is left as it was


def test_collect_and_probe_stages_on_labelled_scenes():
    train = pretext.collect(SyntheticScenes(40, 16, seed=1, max_objects=1, labelled=True))
    test = pretext.collect(SyntheticScenes(100, 16, seed=2, max_objects=1, labelled=True), n=20)
    assert train[0].shape == (40, 1, 16, 16) and train[1].shape == (40,) and train[1].dtype == torch.int64
    assert test[0].shape == (20, 1, 16, 16)
    results = pretext.probe_stages(_toy_encoder(), train, test, {"relu": 2, "last": 3}, max_iter=20)
    assert set(results) == {"relu", "last"}
    assert all(0.0 <= r.test_accuracy <= 1.0 and 0.0 <= r.train_accuracy <= 1.0 for r in results.values())


def test_folder_classes_reads_one_class_per_sub_folder(tmp_path):
    import numpy as np

    from colorlab import color
    from colorlab.io import save_image

    rng = np.random.default_rng(0)
    for name, value in (("b_dark", 40), ("a_light", 200)):
        (tmp_path / name).mkdir()
        for index in range(3):
            save_image(tmp_path / name / f"{index}.png", np.full((30, 50, 3), value, dtype=np.uint8))
    (tmp_path / "empty").mkdir()
    (tmp_path / "a_light" / "noise.png").write_bytes(b"")  # not read: per_class=3 takes the first 3 names
    save_image(tmp_path / "a_light" / "0.png", rng.integers(0, 255, (30, 50, 3), dtype=np.uint8))
    l_norm, labels, names = pretext.folder_classes(tmp_path, per_class=3, size=16)
    assert names == ["a_light", "b_dark"] and labels.tolist() == [0, 0, 0, 1, 1, 1]
    assert l_norm.shape == (6, 1, 16, 16) and l_norm.dtype == torch.float32
    dark_l = color.rgb_to_l(torch.full((1, 3, 1, 1), 40 / 255)).item()
    assert torch.allclose(color.denormalize_l(l_norm[3:]), torch.tensor(dark_l), atol=0.05)
    with pytest.raises(ColorlabError, match="no class folder with images"):
        pretext.folder_classes(tmp_path / "empty")
    with pytest.raises(ColorlabError, match="folder not found"):
        pretext.folder_classes(tmp_path / "gone")
