"""Benchmark model inference: every registered model, the plain eager module vs colorlab.inference.

Run from the repository root::

    python benchmarks/bench_models.py                       # all models, 1x256x256 and 8x256x256
    python benchmarks/bench_models.py --models eccv16 --batches 1
    python benchmarks/bench_models.py --quick               # small models at 64x64, 2 repeats (smoke test)

What is timed, per model and batch, on the same random-weight network (``torch.manual_seed(0)``)
and the same input ``l_norm`` (uniform in ``[-0.5, 0.5]``):

- ``eager`` (the reference): a copy of the module in eval mode under ``torch.no_grad()``, NCHW
  float32: ``net.predict_ab(l_norm)`` where the network has it (the classification models'
  decoding), else ``net(l_norm)``; what the reference implementations and colorlab before this
  benchmark did.
- ``colorlab exact`` / ``colorlab fast``: :func:`colorlab.inference.predict` in that mode
  (``fast`` only where :func:`colorlab.inference.fast_dtype` has a reduced precision).
- ECCV16 only (``eccv16``, the released architecture): ``opencv dnn (onnx)``, the network
  exported by :func:`colorlab.opencv_dnn.export_onnx` and run by ``cv2.dnn`` (one image at a
  time: the export has batch 1); ``onnxruntime`` (if installed; optional, ``pip install
  onnxruntime``), the same file; ``jit freeze`` (``torch.jit.freeze`` + ``optimize_for_inference``
  of a trace) and, at batch 1 unless ``--no-compile``, ``torch.compile`` (inductor,
  ``freezing=True``), whose one-time setup is reported as ``setup s``.

Every row also reports its max absolute difference to ``eager`` in ``ab / 110`` units.

A second table measures what the fast mode changes on real photos: the bundled weights of each
model that has them (and the ECCV16 architecture with the bundled ``eccv16_small`` weights at
256x256) on five scikit-image photos, max and mean ``|ab_fast - ab_exact|`` in Lab units.

Targets (ECCV16, 1x256x256): exact >= 1.15x eager with max difference <= 1e-4; exact >= 2x
OpenCV DNN; fast >= 1.8x eager.
"""

from __future__ import annotations

import argparse
import copy
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from _common import (THREADS, add_common_args, at_least, at_most, finish, import_colorlab, parse_common_args, print_table,
                     speedup, start, time_it)

import_colorlab()
from colorlab import color, inference, models  # noqa: E402

REFERENCE = "eager"
TARGET_EXACT, TARGET_FAST, TARGET_VS_OPENCV, TARGET_EXACT_ERROR = 1.15, 1.8, 2.0, 1e-4
QUICK_MODELS = ("eccv16_small", "pix2pix_unet_small")
PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "immunohistochemistry")


def eager_call(pristine: torch.nn.Module, l_norm: torch.Tensor) -> Callable[[], torch.Tensor]:
    """The reference: the module as built (NCHW weights), eval mode, ``torch.no_grad()``, float32."""
    method = pristine.predict_ab if hasattr(pristine, "predict_ab") else pristine

    def call() -> torch.Tensor:
        with torch.no_grad():
            return method(l_norm)

    return call


def outside_contenders(pristine: torch.nn.Module, l_norm: torch.Tensor, workdir: Path, compile_: bool) -> dict[str, tuple[Callable[[], Any], float]]:
    """ECCV16's other runtimes: name -> (call returning ab_norm, setup seconds). Missing ones are skipped."""
    calls: dict[str, tuple[Callable[[], Any], float]] = {}
    size = tuple(l_norm.shape[-2:])
    try:
        from colorlab import opencv_dnn

        started = time.perf_counter()
        onnx_path = opencv_dnn.export_onnx(pristine, workdir / "eccv16.onnx", size=size)
        cv_net = opencv_dnn.load_onnx_net(onnx_path)
        calls["opencv dnn (onnx)"] = (lambda: opencv_dnn.run_onnx_with_cv2(cv_net, l_norm), time.perf_counter() - started)
    except Exception as error:  # noqa: BLE001 - optional: OpenCV / onnx missing
        print(f"note: OpenCV DNN skipped ({type(error).__name__}: {str(error).splitlines()[0][:100]})")
        onnx_path = None
    try:
        import onnxruntime
    except ImportError:
        print("note: onnxruntime not installed, skipped (optional: pip install onnxruntime)")
    else:
        if onnx_path is not None:
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = THREADS
            started = time.perf_counter()
            session = onnxruntime.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
            batch = l_norm.numpy()

            def run_ort() -> torch.Tensor:
                return torch.from_numpy(np.concatenate([session.run(None, {"l_norm": item[None]})[0] for item in batch]))

            calls["onnxruntime"] = (run_ort, time.perf_counter() - started)
    started = time.perf_counter()
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frozen = torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.trace(copy.deepcopy(pristine), l_norm)))
    calls["jit freeze"] = (lambda: _no_grad(frozen, l_norm), time.perf_counter() - started)
    if compile_:
        import torch._inductor.config as inductor_config

        inductor_config.freezing = True
        compiled = torch.compile(copy.deepcopy(pristine))
        started = time.perf_counter()
        _no_grad(compiled, l_norm)  # compiles
        calls["torch.compile"] = (lambda: _no_grad(compiled, l_norm), time.perf_counter() - started)
    return calls


def _no_grad(fn: Callable[[torch.Tensor], torch.Tensor], l_norm: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return fn(l_norm)


def run_case(pristine: torch.nn.Module, net: torch.nn.Module, l_norm: torch.Tensor, repeats: int, outside: bool,
             compile_: bool, workdir: Path) -> dict[str, dict[str, Any]]:
    """Time every contender on one model and batch; max difference to eager in ab / 110 units.

    ``pristine`` is the module as built (the reference runs it; never given to colorlab), ``net``
    a copy that :func:`colorlab.inference.predict` may prepare in place.
    """
    calls: dict[str, tuple[Callable[[], Any], float | None]] = {REFERENCE: (eager_call(pristine, l_norm), None)}
    calls["colorlab exact"] = (lambda: inference.predict(net, l_norm, "exact"), None)
    if inference.fast_dtype(l_norm.device) is not None:
        calls["colorlab fast"] = (lambda: inference.predict(net, l_norm, "fast"), None)
    if outside:
        calls.update(outside_contenders(pristine, l_norm, workdir, compile_))
    rows: dict[str, dict[str, Any]] = {}
    expected = None
    for contender, (call, setup) in calls.items():
        rows[contender] = dict(time_it(call, repeats=repeats, warmup=1))
        out = torch.as_tensor(call()).float()
        expected = out if expected is None else expected
        rows[contender]["max_diff"] = (out - expected).abs().max().item()
        rows[contender]["setup_s"] = setup
    for stats in rows.values():
        stats["speedup"] = speedup(stats, rows[REFERENCE])
    return rows


def fast_vs_exact_on_photos(size_of: dict[str, int], photos: tuple[str, ...] = PHOTOS) -> dict[str, dict[str, float]]:
    """max / mean / 99th percentile of ``|ab_fast - ab_exact|`` (Lab units) of the bundled weights on real photos.

    Args:
        size_of: ``"<bundled model>"`` or ``"<bundled model> @<size>"`` -> working side length.
        photos: names of ``skimage.data`` photos.
    """
    import skimage.data

    lightness = []
    for photo in photos:
        rgb = torch.from_numpy(np.ascontiguousarray(getattr(skimage.data, photo)()[..., :3])).permute(2, 0, 1).float() / 255
        lightness.append(color.rgb_to_l(rgb)[None])
    results = {}
    for name, size in size_of.items():
        bundled_name = name.split(" @")[0]
        net = models.load(bundled_name, weights="bundled")
        differences = []
        for l_full in lightness:
            l_small = F.interpolate(l_full, size=(size, size), mode="bilinear", antialias=True, align_corners=False)
            l_norm = color.normalize_l(l_small, getattr(net, "scheme", "zhang"))
            exact = color.denormalize_ab(inference.predict(net, l_norm, "exact"))
            fast = color.denormalize_ab(inference.predict(net, l_norm, "fast"))
            differences.append((fast - exact).abs().flatten())
        every = torch.cat(differences)
        results[name] = {"max": every.max().item(), "mean": every.mean().item(),
                         "p99": every.quantile(0.99).item() if every.numel() <= 2**24 else float("nan")}
    return results


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_common_args(parser, repeats=5)
    parser.add_argument("--models", default=None, help="comma-separated names (default: every registered model)")
    parser.add_argument("--batches", default="1,8", help="batch sizes (default 1,8)")
    parser.add_argument("--size", type=int, default=256, help="input side (default 256)")
    parser.add_argument("--no-compile", action="store_true", help="skip torch.compile (a minute of compilation)")
    return parse_common_args(parser, argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    names = args.models.split(",") if args.models else (list(QUICK_MODELS) if args.quick else models.available())
    batches = [1, 2] if args.quick else [int(b) for b in args.batches.split(",")]
    size = 64 if args.quick else args.size
    info = start("bench_models", args.repeats)
    fast = inference.fast_dtype("cpu")
    print(f"fast mode on this CPU: {fast if fast is not None else 'none (fast = exact)'}")

    results: dict[str, dict[str, Any]] = {}
    targets = []
    with tempfile.TemporaryDirectory() as workdir:
        for name in names:
            torch.manual_seed(0)
            pristine = models.load(name).eval()
            net = copy.deepcopy(pristine)
            results[name] = {}
            for batch in batches:
                l_norm = torch.rand(batch, 1, size, size) - 0.5
                outside = name == "eccv16" or (args.quick and name == "eccv16_small" and batch == 1)
                compile_ = outside and batch == 1 and not (args.no_compile or args.quick)
                rows = run_case(pristine, net, l_norm, args.repeats, outside, compile_, Path(workdir))
                case = f"{batch}x{size}x{size}"
                results[name][case] = rows
                print_table(rows, REFERENCE, title=f"{name}, l_norm {batch}x1x{size}x{size}",
                            extra=[("max diff (ab/110)", "max_diff", ".1e"), ("setup s", "setup_s", ".1f")])
                if name == ("eccv16_small" if args.quick else "eccv16") and batch == 1:
                    targets += eccv16_targets(rows, f"{name} {case}")

    print("\nfast vs exact on real photos (bundled weights; |ab| difference in Lab units)")
    bundled = models.bundled()
    size_of = {name: models.load(name, weights="bundled").input_size for name in bundled}
    if "eccv16_small" in bundled and not args.quick:
        size_of["eccv16_small @256"] = 256
    photos = fast_vs_exact_on_photos(size_of, PHOTOS[:1] if args.quick else PHOTOS) if fast is not None else {}
    for name, stats in photos.items():
        print(f"  {name:<24} {size_of[name]:>4}x{size_of[name]:<4} max {stats['max']:.3f}  mean {stats['mean']:.4f}  p99 {stats['p99']:.3f}")

    summary = {
        "benchmark": "bench_models",
        "machine": info,
        "config": {"quick": args.quick, "repeats": args.repeats, "warmup": 1, "threads": THREADS, "size": size,
                   "batches": batches, "models": names, "reference": REFERENCE,
                   "fast_dtype": str(fast) if fast is not None else None},
        "results": results,
        "fast_vs_exact_photos": photos,
    }
    return finish("bench_models", args, summary, targets)


def eccv16_targets(rows: dict[str, dict[str, Any]], case: str) -> list[dict[str, Any]]:
    """The issue's targets for ECCV16 at batch 1 (rows that are missing are not judged)."""
    exact = rows["colorlab exact"]
    found = [at_least(f"{case}: exact vs eager", exact["speedup"], TARGET_EXACT, "x"),
             at_most(f"{case}: exact max diff", exact["max_diff"], TARGET_EXACT_ERROR, " (ab/110)")]
    if "opencv dnn (onnx)" in rows:
        found.append(at_least(f"{case}: exact vs OpenCV DNN", speedup(exact, rows["opencv dnn (onnx)"]), TARGET_VS_OPENCV, "x"))
    if "colorlab fast" in rows:
        found.append(at_least(f"{case}: fast vs eager", rows["colorlab fast"]["speedup"], TARGET_FAST, "x"))
    return found

if __name__ == "__main__":
    sys.exit(main())
