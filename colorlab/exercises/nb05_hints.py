"""Exercise checks for notebook 05: SIGGRAPH17 user hints."""

from __future__ import annotations

from collections.abc import Callable

import torch

from colorlab.exercises._core import (
    NotYet,
    _as_result,
    _as_tensor_pair,
    _call_student,
    _close,
    _require_function,
    register,
)


_HINT_COUNT_STEPS = (
    "Think of the sampler as a repeated coin toss: how many tosses does it take, on average, until the "
    "first 'stop'? And does the stopping toss itself add a hint?",
    "The number of hints K counts the 'continue' tosses before the first 'stop' (probability p each): "
    "P(K = k) = p (1 - p)^k for k = 0, 1, 2, ... Its mean is the sum over k of k P(K = k).",
    "A coin that stops with probability p needs 1 / p tosses on average, the stopping one included; "
    "the stopping toss adds no hint.",
)
_HINT_COUNT_KEY = ("(1 - p) / p",)
#: The values of ``p`` the expected-hint-count check tries, the paper's 1/8 first.
HINT_PROBABILITIES = (1.0 / 8.0, 0.3, 0.05, 0.9, 1.0)


@register("expected_hint_count", steps=_HINT_COUNT_STEPS, key=_HINT_COUNT_KEY)
def check_expected_hint_count(fn: Callable[[float], float]) -> str:
    """Check ``expected_hints(p) -> float``: the mean number of simulated hints per image.

    The number of hints is geometric from 0 with stopping probability ``p``
    (:func:`colorlab.hints.sample_hint_counts`); ``fn`` must return its mean ``(1 - p) / p``
    within a relative ``1e-6`` for each ``p`` of :data:`HINT_PROBABILITIES`.
    """
    from colorlab.hints import HINT_PROBABILITY, sample_hint_counts

    name = "expected_hints"
    _require_function(fn, name)
    for p in HINT_PROBABILITIES:
        raw = _call_student(fn, name, p)
        value = _as_result(raw, name, (), "a single number", "Return one number, e.g. a float.").item()
        expected = (1.0 - p) / p
        if abs(value - expected) <= 1e-6 * max(abs(expected), 1.0):
            continue
        problem = f"expected_hints({p:g}) returned {value:.6g}, expected {expected:.6g}."
        variants = {
            "from one": 1.0 / p,
            "inverted": p / (1.0 - p) if p < 1.0 else None,
            "failure probability": 1.0 - p,
            "one over failure": 1.0 / (1.0 - p) if p < 1.0 else None,
        }
        hints = {
            "from one": "1 / p is the mean of a geometric law that counts the final tails too (starting at 1). "
            "Here an image may get 0 hints: subtract that last toss.",
            "inverted": "You divided the wrong way round: a small p (rarely stopping) must give many hints.",
            "failure probability": "1 - p is the chance of at least one hint, not the mean number of hints.",
            "one over failure": "1 / (1 - p) is close for large p only: sum k P(K = k) over k instead.",
        }
        for mistake, variant in variants.items():
            if variant is not None and abs(value - variant) <= 1e-6 * max(abs(variant), 1.0):
                raise NotYet(problem, hints[mistake])
        raise NotYet(problem)
    counts = sample_hint_counts(200_000, HINT_PROBABILITY, torch.Generator().manual_seed(5)).double()
    return (
        f"with the paper's p = 1/8 an image gets {(1 - HINT_PROBABILITY) / HINT_PROBABILITY:g} hints on average "
        f"(colorlab.hints.sample_hint_counts: {counts.mean().item():.2f} over 200,000 draws), and "
        f"{(counts == 0).double().mean().item():.1%} of the images get none: the network keeps practising "
        "automatic colorization."
    )


_CLICK_STEPS = (
    "The network's hint input is two images of zeros (a colour image and a mask) in which a small square "
    "around the click is filled in.",
    "Start both from zeros at the network's size; the patch is centred on the click but moved inside the "
    "image at the border; the colour channels hold normalized a and b on the patch, the mask holds 1 there.",
    "The patch's top-left corner is half a patch above and left of the click, clamped so that the whole "
    "patch fits; normalize a and b as in notebook 02 (the same as color.normalize_ab).",
)
_CLICK_KEY = ("min(max(y - patch // 2, 0), size - patch)", "ab[0] / 110")

#: ``(y, x, (a, b), size, patch)`` clicks the click-to-hint check tries: inside, at a border, one pixel.
CLICK_CASES = (
    (5, 9, (20.0, -40.0), 16, 3),
    (0, 14, (-35.0, 60.0), 16, 5),
    (11, 2, (55.0, 10.0), 12, 1),
    (7, 19, (-8.0, -50.0), 20, 3),
)


def _random_clicks(count: int = 6) -> tuple[tuple[int, int, tuple[float, float], int, int], ...]:
    """``count`` random clicks ``(y, x, (a, b), size, patch)``: anywhere, borders included, odd and even patches."""
    generator = torch.Generator().manual_seed(50)
    clicks = []
    for _ in range(count):
        size = int(torch.randint(8, 25, (1,), generator=generator))
        patch = int(torch.randint(1, 8, (1,), generator=generator))
        y, x = (int(v) for v in torch.randint(0, size, (2,), generator=generator))
        a, b = ((torch.rand(2, generator=generator) * 2 - 1) * 100).tolist()
        clicks.append((y, x, (round(a, 3), round(b, 3)), size, patch))
    return tuple(clicks)


def _click_reference(y: int, x: int, ab: tuple[float, float], size: int, patch: int) -> tuple[torch.Tensor, torch.Tensor]:
    from colorlab.hints import user_hints

    return user_hints([(y, x, ab)], size, patch=patch)


def _click_cut_off(y: int, x: int, ab: tuple[float, float], size: int, patch: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The usual mistake at a border: the patch is cut off instead of moved inside."""
    hint, mask = torch.zeros(1, 2, size, size), torch.zeros(1, 1, size, size)
    top, left = y - patch // 2, x - patch // 2
    rows, columns = slice(max(top, 0), top + patch), slice(max(left, 0), left + patch)
    hint[0, 0, rows, columns], hint[0, 1, rows, columns] = ab[0] / 110.0, ab[1] / 110.0
    mask[0, 0, rows, columns] = 1.0
    return hint, mask


@register("hint_for_click", steps=_CLICK_STEPS, key=_CLICK_KEY)
def check_hint_for_click(fn: Callable[..., tuple[torch.Tensor, torch.Tensor]]) -> str:
    """Check ``hint_for_click(y, x, ab, size, patch) -> (ab_hint_norm, mask)`` against :func:`colorlab.hints.user_hints`.

    ``fn`` receives a click at row ``y``, column ``x`` of a ``size x size`` network input, a hint
    colour ``ab = (a, b)`` in Lab units and the patch side; it must return ``(1, 2, size, size)``
    and ``(1, 1, size, size)`` tensors equal (within ``1e-6``) to
    ``user_hints([(y, x, ab)], size, patch=patch)`` for every case of :data:`CLICK_CASES` and for
    random clicks (random size, patch side, position and colour).
    """
    name = "hint_for_click"
    _require_function(fn, name)
    for y, x, ab, size, patch in CLICK_CASES + _random_clicks():
        raw = _call_student(fn, name, y, x, ab, size, patch)
        shapes = (torch.Size((1, 2, size, size)), torch.Size((1, 1, size, size)))
        hint, mask = _as_tensor_pair(raw, name, shapes, "(ab_hint_norm, mask)")
        expected_hint, expected_mask = (tensor.double() for tensor in _click_reference(y, x, ab, size, patch))
        if _close(hint, expected_hint) and _close(mask, expected_mask):
            continue
        problem = f"for a click at (y={y}, x={x}) with ab = {ab}, size {size}, patch {patch} the tensors differ from the reference."
        swapped_hint, swapped_mask = (tensor.double() for tensor in _click_reference(x, y, ab, size, patch))
        cut_hint, cut_mask = (tensor.double() for tensor in _click_cut_off(y, x, ab, size, patch))
        corner_hint, corner_mask = (
            tensor.double() for tensor in _click_reference(min(y + patch // 2, size - 1), min(x + patch // 2, size - 1), ab, size, patch)
        )
        if not _close(mask, expected_mask):
            if _close(mask, swapped_mask) and not _close(swapped_mask, expected_mask):
                hint_text = "x and y are swapped: y is the row (the third index, dim 2), x the column (dim 3)."
            elif _close(mask, corner_mask) and not _close(corner_mask, expected_mask):
                hint_text = "The click should be the patch's centre, not its top-left corner."
            elif _close(mask, cut_mask) and not _close(cut_mask, expected_mask):
                hint_text = "At the border the patch is cut off; move it inside instead, so it keeps patch x patch pixels."
            elif mask.abs().sum() == 0:
                hint_text = "The mask is all zeros: it must be 1 where the hint is, or the network ignores the hint."
            else:
                hint_text = None
            raise NotYet(problem + " The mask is wrong.", hint_text)
        if _close(hint / 110.0, expected_hint):
            hint_text = "The hint channels hold normalized colours: divide a and b by 110 (color.normalize_ab)."
        elif _close(hint, expected_hint.flip(1)):
            hint_text = "a goes in channel 0 and b in channel 1."
        elif _close(hint, expected_hint * 0):
            hint_text = "The hint channels are all zeros: put the normalized a and b on the patch."
        elif (hint * (1 - mask)).abs().max() > 1e-6:
            hint_text = "The hint channels must be 0 outside the patch (where the mask is 0)."
        else:
            hint_text = None
        raise NotYet(problem + " The hint channels are wrong.", hint_text)
    return (
        f"`{name}` builds exactly what colorlab.hints.user_hints builds, also at the border. The network's input is "
        "then torch.cat((l_norm, ab_hint_norm, mask), dim=1): 4 channels, of which the mask tells a hint of grey "
        "(a = b = 0, mask 1) from no hint at all (mask 0)."
    )
