"""Exercise checks for notebook 06: Pix2Pix."""

from __future__ import annotations

from collections.abc import Callable

import torch

from colorlab.exercises._core import (
    NotYet,
    _call_student,
    _require_function,
    register,
)


_RECEPTIVE_FIELD_STEPS = (
    "Start from one output unit and walk back towards the input, one layer at a time: how many input pixels "
    "does a block of r neighbouring outputs of a layer depend on?",
    "Walk from the last layer to the first. A layer with kernel k and stride s: neighbouring outputs are s "
    "input pixels apart, and each output sees k of them; r outputs therefore span (r - 1) steps of s, plus one kernel.",
    "Keep one running size, starting at 1 (one output unit), and update it once per layer, last layer first "
    "(reversed(layers)).",
)
_RECEPTIVE_FIELD_KEY = ("(size - 1) * stride + kernel",)

#: (kernel, stride) stacks the receptive-field check tries, with a name for the feedback.
RECEPTIVE_FIELD_STACKS: dict[str, list[tuple[int, int]]] = {
    "three 3x3 convolutions": [(3, 1), (3, 1), (3, 1)],
    "the 70x70 PatchGAN": [(4, 2), (4, 2), (4, 2), (4, 1), (4, 1)],
    "a VGG-like block": [(3, 1), (3, 1), (2, 2), (3, 1), (3, 1), (2, 2)],
    "the ResNet stem": [(7, 2), (3, 2)],
    "a single layer": [(5, 3)],
}


def _receptive_field_variants(layers: list[tuple[int, int]]) -> dict[str, int]:
    """The usual wrong answers for ``layers``: name -> value."""
    backward_in_forward_order, no_minus_one = 1, 1
    for kernel, stride in layers:
        backward_in_forward_order = (backward_in_forward_order - 1) * stride + kernel
    for kernel, stride in reversed(layers):
        no_minus_one = no_minus_one * stride + kernel
    return {
        "sum": sum(kernel for kernel, _ in layers),
        "forward order": backward_in_forward_order,
        "no minus one": no_minus_one,
    }


@register("receptive_field", steps=_RECEPTIVE_FIELD_STEPS, key=_RECEPTIVE_FIELD_KEY)
def check_receptive_field(fn: Callable[[list[tuple[int, int]]], int]) -> str:
    """Check a student ``receptive_field(layers) -> int`` against :func:`colorlab.models.pix2pix.receptive_field`.

    ``fn`` receives a list of ``(kernel, stride)`` pairs in forward order (a fresh copy each time)
    and must return the side of the input patch one output unit sees, exactly.
    """
    from colorlab.models.pix2pix import receptive_field  # imported here: the models pull in torchvision

    name = "receptive_field"
    _require_function(fn, name)
    for description, layers in RECEPTIVE_FIELD_STACKS.items():
        result = _call_student(fn, name, list(layers))
        expected = receptive_field(layers)
        try:
            value = float(result)
        except (TypeError, ValueError):
            raise NotYet(f"`{name}` returned a {type(result).__name__}, not a number.", "Return an int.") from None
        if value != expected:
            problem = f"for {description} {layers} you returned {result}, expected {expected}."
            variants = _receptive_field_variants(layers)
            if value == variants["sum"]:
                hint = "Adding up the kernels ignores the strides: after a stride-2 layer, one step is 2 input pixels."
            elif value == variants["forward order"]:
                hint = "Walk from the output back to the input: start with the last layer."
            elif value == variants["no minus one"]:
                hint = "r units of a layer with stride s are r - 1 steps apart (not r), plus one kernel."
            else:
                hint = None
            raise NotYet(problem, hint)
    return (
        f"`{name}` is right on {len(RECEPTIVE_FIELD_STACKS)} stacks: each PatchGAN verdict sees a "
        f"{receptive_field(RECEPTIVE_FIELD_STACKS['the 70x70 PatchGAN'])} x 70 patch of the image."
    )


_GENERATOR_LOSS_STEPS = (
    "The generator has two goals: fool the discriminator, and stay close to the true colours. Its loss is one "
    "term for each, the second one weighted.",
    "The GAN term is the binary cross-entropy of D's verdicts on the fake pairs against the label G wants "
    "D to give; the other is the mean absolute (L1) error between fake and real ab, weighted by lambda = 100.",
    "D outputs logits: turn them into probabilities with a sigmoid (or use a loss 'with logits'); G wants the "
    "label 'real' (1), whose cross-entropy is minus the log of the probability, averaged over D's grid.",
)
_GENERATOR_LOSS_KEY = ("-torch.log(torch.sigmoid(d_fake)).mean()", "(ab_fake - ab_real).abs().mean()")


def _generator_loss_cases() -> list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    """Two cases ``(d_fake (2, 1, 4, 4), ab_fake (2, 2, 8, 8), ab_real)``; logits in (0.05, 0.95) first, then any."""
    generator = torch.Generator().manual_seed(6)
    cases = []
    for logits in (0.05 + 0.9 * torch.rand(2, 1, 4, 4, generator=generator), 2.0 * torch.randn(2, 1, 4, 4, generator=generator)):
        ab_real = torch.rand(2, 2, 8, 8, generator=generator) * 2 - 1
        ab_fake = (ab_real + 0.2 * torch.randn(2, 2, 8, 8, generator=generator)).clamp(-1, 1)
        cases.append((logits, ab_fake, ab_real))
    return cases


@register("pix2pix_generator_loss", steps=_GENERATOR_LOSS_STEPS, key=_GENERATOR_LOSS_KEY)
def check_pix2pix_generator_loss(fn: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]) -> str:
    """Check a student ``g_loss(d_fake, ab_fake, ab_real) -> scalar``: vanilla GAN + 100 * L1.

    ``d_fake`` holds D's logits ``(N, 1, h, w)`` on the generated pairs, ``ab_fake`` / ``ab_real``
    are ``(N, 2, H, W)`` in ``ab / 110``; the result (tensor or float) must match
    :func:`colorlab.models.pix2pix.generator_loss` (``mode="vanilla"``) within ``1e-4`` relative.
    """
    from colorlab.models.pix2pix import gan_loss, generator_loss

    name = "g_loss"
    _require_function(fn, name)
    for index, (d_fake, ab_fake, ab_real) in enumerate(_generator_loss_cases()):
        given = (d_fake.clone(), ab_fake.clone(), ab_real.clone())
        result = _call_student(fn, name, *given)
        try:
            value = float(result.detach()) if isinstance(result, torch.Tensor) else float(result)
        except (TypeError, ValueError, RuntimeError):
            raise NotYet(f"`{name}` returned {type(result).__name__}, not one number.", "Return a scalar: use .mean().") from None
        expected = generator_loss(d_fake, ab_fake, ab_real)
        if abs(value - expected["total"].item()) <= 1e-4 * abs(expected["total"].item()):
            continue
        gan, l1 = expected["gan"].item(), expected["l1"].item()
        variants = {
            "lambda": gan + l1,
            "real": gan_loss(d_fake, False).item() + 100 * l1,
            "absolute": gan + 100 * torch.mean((ab_fake - ab_real) ** 2).item(),
            "GAN term": 100 * l1,
            "halved": 0.5 * (gan + 100 * l1),
        }
        if index == 0:  # logits in (0, 1): the "logits are probabilities" mistake gives a finite value
            variants["logits"] = -torch.log(d_fake).mean().item() + 100 * l1
        hints = {
            "lambda": "The L1 term is weighted by lambda = 100 in pix2pix.",
            "real": "The generator is rewarded when D says *real*: use the label 1 (-log(sigmoid(x))), not 0.",
            "logits": "D outputs logits, not probabilities: apply torch.sigmoid first "
            "(or use F.binary_cross_entropy_with_logits).",
            "absolute": "pix2pix uses L1, the mean absolute error, not the squared error.",
            "GAN term": "You left out the GAN term: G must also be rewarded for fooling D.",
            "halved": "Only D's loss is halved in pix2pix; the generator's is GAN + 100 * L1.",
        }
        problem = f"on test case {index + 1} you returned {value:.5g}, expected {expected['total'].item():.5g}."
        for mistake, variant in variants.items():
            if abs(value - variant) <= 1e-4 * max(abs(variant), 1e-6):
                raise NotYet(problem, hints[mistake])
        raise NotYet(problem)
    return (
        "`g_loss` = GAN + 100 * L1. With lambda = 100 the L1 term dominates in magnitude; the GAN term "
        "adds the push towards colours D finds realistic."
    )
