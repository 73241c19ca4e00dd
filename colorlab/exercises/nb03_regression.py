"""Exercise checks for notebook 03: regression and the averaging problem."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from colorlab.exercises._core import (
    NotYet,
    _as_result,
    _call_student,
    _require_function,
    _square_colours,
    register,
)


_BEST_CONSTANT_STEPS = (
    "Which one number sits closest, in squared error, to a whole set of numbers? Answer that for a and for b "
    "over the object's pixels only.",
    "Under the squared error the best constant is an average (not a median). Select the object's pixels with "
    "the mask, then average each channel over all of them at once.",
    "Boolean indexing with mask (N, H, W) works on a tensor whose last three dimensions are (N, H, W): move "
    "the channel dimension to the front first (permute), then index, then average over the pixels.",
)
_BEST_CONSTANT_KEY = ("ab.permute(1, 0, 2, 3)[:, mask].mean(dim=1)",)


def _best_constant_test_case() -> tuple[torch.Tensor, torch.Tensor]:
    """``ab (4, 2, 5, 6)`` float64 and ``mask (4, 5, 6)`` bool with very different counts per image."""
    generator = torch.Generator().manual_seed(3)
    ab = torch.randn((4, 2, 5, 6), generator=generator, dtype=torch.float64) * 30
    ab[:, 0] += torch.tensor([40.0, -20.0, 5.0, 60.0], dtype=torch.float64).view(4, 1, 1)  # per-image shifts
    mask = torch.zeros((4, 5, 6), dtype=torch.bool)
    mask[0, :1, :2] = True  # 2 pixels
    mask[1, 1:4, 1:5] = True  # 12 pixels
    mask[3, 2:, :] = True  # 18 pixels; image 2 has none
    ab[3, 1, 4, 5] = 400.0  # one outlier: the mean and the median differ a lot
    return ab, mask


def reference_best_constant_ab(ab: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """colorlab's answer to ``best_constant_ab``: the mean ab of the masked pixels.

    Args:
        ab: ``(N, 2, H, W)`` float, Lab units.
        mask: ``(N, H, W)`` bool, at least one True.

    Returns:
        ``(2,)`` float tensor (dtype of ``ab``): the (a, b) with the smallest total squared error.
    """
    return ab.movedim(1, -1)[mask].mean(dim=0)


@register("best_constant_ab", steps=_BEST_CONSTANT_STEPS, key=_BEST_CONSTANT_KEY, reference=reference_best_constant_ab)
def check_best_constant_ab(fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> str:
    """Check ``best_constant_ab(ab, mask) -> (2,)``: the one ab with the smallest squared error over the masked pixels.

    ``fn`` receives ``ab (N, 2, H, W)`` float64 in Lab units and ``mask (N, H, W)`` bool, and must
    return the mean ab of the pixels where ``mask`` is True (within ``1e-6``), as a ``(2,)`` tensor or
    array, without modifying its inputs.
    """
    name = "best_constant_ab"
    _require_function(fn, name)
    ab, mask = _best_constant_test_case()
    given_ab, given_mask = ab.clone(), mask.clone()
    raw = _call_student(fn, name, given_ab, given_mask, hint=None)
    if not (torch.equal(given_ab, ab) and torch.equal(given_mask, mask)):
        raise NotYet(f"`{name}` modified its input in place.", "Compute a new tensor; leave `ab` and `mask` as they are.")
    result = _as_result(raw, name, (2,), "one (a, b) pair: shape (2,)", "Average over every selected pixel, keeping a and b apart.")
    pixels = ab.permute(1, 0, 2, 3)[:, mask]  # (2, P)
    expected = reference_best_constant_ab(ab, mask)
    if (result - expected).abs().max().item() > 1e-6:
        problem = f"got ({result[0].item():.3f}, {result[1].item():.3f}), expected ({expected[0].item():.3f}, {expected[1].item():.3f})."
        per_image = torch.stack([ab[i][:, mask[i]].mean(dim=1) for i in range(len(ab)) if mask[i].any()]).mean(dim=0)
        variants = {
            "all pixels": ab.mean(dim=(0, 2, 3)),
            "per image": per_image,
            "median": pixels.median(dim=1).values,
            "quantile": pixels.quantile(0.5, dim=1),
        }
        hints = {
            "all pixels": "You averaged every pixel; only the pixels where `mask` is True belong to the object.",
            "per image": "You averaged per image, then over images: an image with more object pixels must count "
            "more. Average over all selected pixels at once.",
            "median": "That is the median, the best constant under the absolute (L1) error; squared error wants the mean.",
            "quantile": "That is the median, the best constant under the absolute (L1) error; squared error wants the mean.",
        }
        for mistake, variant in variants.items():
            if torch.isfinite(result).all() and (result - variant).abs().max().item() <= 1e-6:
                raise NotYet(problem, hints[mistake])
        raise NotYet(problem)
    yellow, blue = _square_colours()
    middle = (yellow + blue) / 2
    return (
        f"the mean of the selected pixels. For an object that is yellow {tuple(yellow.tolist())} or blue "
        f"{tuple(blue.tolist())} half of the time this is ({middle[0].item():g}, {middle[1].item():g}): grey."
    )


_EXPECTED_ERROR_STEPS = (
    "An expected value is an average over the possible outcomes, each counted as often as it happens.",
    "For each possible colour: how far is the guess from it, in squared error (a and b together)? Then weight "
    "those costs by the colours' probabilities.",
    "Compute the K squared distances at once by broadcasting colours (K, 2) against guess (2,), add a and b, "
    "multiply by probabilities (K,) and sum to one number.",
)
_EXPECTED_ERROR_KEY = ("(probabilities * ((colours - guess) ** 2).sum(dim=-1)).sum()",)


def _expected_error_cases() -> list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    """``(guess (2,), colours (K, 2), probabilities (K,))`` float64 cases, probabilities summing to 1."""
    generator = torch.Generator().manual_seed(4)
    yellow, blue = _square_colours()
    cases = []
    for k in (2, 3, 5):
        colours = torch.randn((k, 2), generator=generator, dtype=torch.float64) * 40
        weights = torch.rand(k, generator=generator, dtype=torch.float64) + 0.1
        guess = torch.randn(2, generator=generator, dtype=torch.float64) * 20
        cases.append((guess, colours, weights / weights.sum()))
    # last: the notebook's square (several usual mistakes give the same number here, so not first)
    cases.append((torch.zeros(2, dtype=torch.float64), torch.stack((yellow, blue)), torch.tensor([0.5, 0.5], dtype=torch.float64)))
    return cases


def _expected_error(guess: torch.Tensor, colours: torch.Tensor, probabilities: torch.Tensor) -> torch.Tensor:
    """colorlab's answer to ``expected_squared_error``: ``guess (2,)``, ``colours (K, 2)``, ``probabilities (K,)`` -> 0-d tensor."""
    return (probabilities * (colours - guess).square().sum(dim=-1)).sum()


@register("expected_squared_error", steps=_EXPECTED_ERROR_STEPS, key=_EXPECTED_ERROR_KEY, reference=_expected_error)
def check_expected_squared_error(fn: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], Any]) -> str:
    """Check ``expected_squared_error(guess, colours, probabilities) -> float``.

    ``fn`` receives ``guess (2,)``, ``colours (K, 2)`` (ab in Lab units) and ``probabilities (K,)``
    (summing to 1), all float64, and must return ``sum_k p_k * ||guess - colours_k||^2`` (a number or
    a 0-d tensor, within a relative ``1e-6``), without modifying its inputs.
    """
    name = "expected_squared_error"
    _require_function(fn, name)
    for index, (guess, colours, probabilities) in enumerate(_expected_error_cases()):
        given = (guess.clone(), colours.clone(), probabilities.clone())
        raw = _call_student(fn, name, *given, hint=None)
        if not all(torch.equal(a, b) for a, b in zip(given, (guess, colours, probabilities))):
            raise NotYet(f"`{name}` modified its input in place.", "Compute new tensors; leave the inputs as they are.")
        value = _as_result(raw, name, (), "a single number", "Sum over the colours to get one number: use .sum().")
        expected = _expected_error(guess, colours, probabilities)
        if abs(value.item() - expected.item()) <= 1e-6 * max(abs(expected.item()), 1.0):
            continue
        distances = ((colours - guess) ** 2).sum(dim=-1)
        variants = {
            "not squared": (probabilities * distances.sqrt()).sum(),
            "unweighted": distances.mean(),
            "channel mean": (probabilities * ((colours - guess) ** 2).mean(dim=-1)).sum(),
            "root": expected.sqrt(),
        }
        hints = {
            "not squared": "Square the distances: the loss is the *squared* error, (a - a_k)^2 + (b - b_k)^2, no square root.",
            "unweighted": "Weight each colour by its probability p_k instead of averaging the colours equally.",
            "channel mean": "Add the squared differences of a and b (the squared Euclidean distance) instead of averaging them.",
            "root": "Leave out the final square root: we want the expected *squared* error.",
        }
        problem = f"on test case {index + 1} you returned {value.item():.6g}, expected {expected.item():.6g}."
        for mistake, variant in variants.items():
            if abs(value.item() - variant.item()) <= 1e-6 * max(abs(variant.item()), 1.0):
                raise NotYet(problem, hints[mistake])
        raise NotYet(problem)
    yellow, blue = _square_colours()
    colours, halves = torch.stack((yellow, blue)), torch.tensor([0.5, 0.5], dtype=torch.float64)
    grey = _expected_error((yellow + blue) / 2, colours, halves).item()
    vivid = _expected_error(yellow, colours, halves).item()
    return (
        f"for a 50/50 yellow-or-blue square, guessing grey costs {grey:.0f} on average, guessing yellow "
        f"{vivid:.0f} ({vivid / grey:.1f}x as much): squared error punishes a confident wrong colour hard."
    )


_TRAINING_STEP_STEPS = (
    "One step of learning: let the model predict, measure how wrong it is, find out which way each weight "
    "should move to be less wrong, and move it a little.",
    "The four moves, in order: forget the gradients of the previous step, compute the loss (the mean squared "
    "error between the model's output and ab_norm), backpropagate it, let the optimizer update the weights. "
    "Return the loss as a Python float.",
    "torch.nn.functional has the mean squared error; a loss tensor has a method that backpropagates it; an "
    "optimizer has one method that clears the gradients and one that updates the weights.",
)
_TRAINING_STEP_KEY = ("optimizer.zero_grad()", "loss.backward()", "optimizer.step()")


def _tiny_regressor(seed: int) -> torch.nn.Module:
    """A small ``l_norm (N, 1, H, W) -> ab_norm (N, 2, H, W)`` network with a fixed initialisation."""
    torch.manual_seed(seed)
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.ReLU(), torch.nn.Conv2d(4, 2, 3, padding=1), torch.nn.Tanh()
    )


def _training_batches(seed: int, steps: int = 3) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """``steps`` random ``(l_norm (4, 1, 8, 8) in [-0.5, 0.5], ab_norm (4, 2, 8, 8) in [-1, 1])`` float32 batches."""
    generator = torch.Generator().manual_seed(seed)
    return [
        (torch.rand(4, 1, 8, 8, generator=generator) - 0.5, torch.rand(4, 2, 8, 8, generator=generator) * 2 - 1)
        for _ in range(steps)
    ]


def _reference_training(seed: int, lr: float, loss: str = "mse") -> tuple[list[float], torch.nn.Module]:
    """Losses and final model of colorlab's :class:`~colorlab.models.task.SupervisedTask` on :func:`_training_batches`."""
    from colorlab.models.task import SupervisedTask, _Amp

    model = _tiny_regressor(seed)
    task = SupervisedTask(model, loss=loss, lr=lr)
    task.amp = _Amp(torch.device("cpu"), enabled=False)
    losses = [task.training_step(l_norm, ab_norm)["loss"] for l_norm, ab_norm in _training_batches(seed)]
    return losses, model


def _parameters_close(first: torch.nn.Module, second: torch.nn.Module) -> bool:
    return all(torch.allclose(a, b, atol=1e-6, rtol=1e-5) for a, b in zip(first.parameters(), second.parameters()))


@register("training_step", steps=_TRAINING_STEP_STEPS, key=_TRAINING_STEP_KEY)
def check_training_step(fn: Callable[[torch.nn.Module, torch.optim.Optimizer, torch.Tensor, torch.Tensor], Any]) -> str:
    """Check ``training_step(model, optimizer, l_norm, ab_norm) -> float`` against colorlab's ``SupervisedTask``.

    Three steps of the student's function, on a small random network with ``torch.optim.Adam`` and
    random batches (``l_norm (4, 1, 8, 8)`` float32 in ``[-0.5, 0.5]``, ``ab_norm (4, 2, 8, 8)`` in
    ``[-1, 1]``), must return the same losses (the MSE before each update, within ``1e-5``) and leave
    the same weights as :meth:`colorlab.models.task.SupervisedTask.training_step` with ``loss="mse"``.
    """
    name = "training_step"
    _require_function(fn, name)
    seed, lr = 13, 1e-2
    expected_losses, expected_model = _reference_training(seed, lr)
    model = _tiny_regressor(seed)
    start = [parameter.detach().clone() for parameter in model.parameters()]
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    for index, (l_norm, ab_norm) in enumerate(_training_batches(seed)):
        raw = _call_student(fn, name, model, optimizer, l_norm.clone(), ab_norm.clone())
        value = _as_result(raw, name, (), "the loss as one number", "Return the loss of this step as a float (.item()).")
        expected = expected_losses[index]
        if abs(value.item() - expected) > 1e-5 * max(abs(expected), 1.0):
            problem = f"step {index + 1} returned the loss {value.item():.6g}, expected {expected:.6g}."
            l1_losses, _ = _reference_training(seed, lr, loss="l1")
            if index == 0 and abs(value.item() - l1_losses[0]) <= 1e-5:
                raise NotYet(problem, "That is the mean *absolute* error; the regression model is trained with the squared error.")
            if index == 0 and abs(value.item() - expected * ab_norm.numel()) <= 1e-4 * expected * ab_norm.numel():
                raise NotYet(problem, "You summed the squared errors; average them, so the loss does not grow with the batch.")
            if index == 0 and abs(value.item() - expected**0.5) <= 1e-5:
                raise NotYet(problem, "That is the root of the mean squared error: leave out the square root.")
            if index > 0 and all(torch.equal(a, b) for a, b in zip(start, model.parameters())):
                raise NotYet(problem, "The first loss is right but the weights never change: after backpropagating, "
                             "let the optimizer update them.")
            if index > 0:
                raise NotYet(problem, "The first loss is right but later ones drift: clear the old gradients at every "
                             "step, otherwise each step adds its gradient to the previous ones.")
            raise NotYet(problem)
    if all(torch.equal(a, b) for a, b in zip(start, model.parameters())):
        raise NotYet("the loss is right but the weights never changed.", "After backpropagating, let the optimizer update the weights.")
    if not _parameters_close(model, expected_model):
        raise NotYet(
            "the losses are right but after three steps the weights differ from colorlab's.",
            "Clear the old gradients at every step: otherwise each step adds its gradient to the previous ones.",
        )
    return (
        f"three steps match colorlab's SupervisedTask (losses {', '.join(f'{loss:.4f}' for loss in expected_losses)}). "
        "Trainer.fit repeats exactly this step on batch after batch; the whole 'learning' is in these four lines."
    )
