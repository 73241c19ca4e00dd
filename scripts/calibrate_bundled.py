"""Choose a trained model's working size, ``ab_scale`` and ``ab_spread`` on held-out photos.

An MSE-trained regressor predicts the mean of the colours it cannot tell apart: the best PSNR, and
washed-out photos. Scaling its ab by a factor a little above 1 costs little PSNR (the error is
quadratic around the optimum) and gives back colour. This script scores a grid of working sizes
and factors with :func:`colorlab.evaluation.evaluate_models` on photos the model was *not*
trained on, and picks the factor with the best PSNR among those whose colourfulness reaches a
target share of the originals'. It never looks at the validation photos the model card reports.

    python scripts/calibrate_bundled.py runs/r18u/model.pt /tmp/in256 --options depth=3 skips=True \
        --sizes 64 96 --scales 1.0 1.1 1.2 1.3 1.4 --min-colourfulness 0.55 --out runs/r18u/calibration
"""

from __future__ import annotations

import argparse
import copy
import itertools
import json
import sys
from pathlib import Path

from colorlab import models
from colorlab.app import uses_temperature
from colorlab.cli import parse_options
from colorlab.data.folders import find_images
from colorlab.evaluation import GREY, evaluate_models


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("weights", help="the trained model.pt (a state_dict)")
    parser.add_argument("photos", help="folder of held-out colour photos")
    parser.add_argument("--model", default="resnet18_regression")
    parser.add_argument("--options", nargs="*", default=[], metavar="KEY=VALUE", help="the builder options used in training")
    parser.add_argument("--sizes", nargs="+", type=int, default=[64])
    parser.add_argument("--scales", nargs="+", type=float, default=[1.0, 1.1, 1.2, 1.3])
    parser.add_argument("--spreads", nargs="+", type=float, default=[1.0], help="ab_spread factors (colorlab.color.scale_ab)")
    parser.add_argument("--temperatures", nargs="+", type=float, default=[None], help="annealed-mean T (bin classifiers only)")
    parser.add_argument("--min-colourfulness", type=float, default=0.55, help="share of the originals' colourfulness to reach")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--out", default=None, help="folder for calibration.json and the leaderboard")
    args = parser.parse_args(argv)

    base = models.load(args.model, weights=args.weights, **parse_options(args.options)).eval()
    photos = find_images(args.photos)[: args.limit]
    candidates = {}
    if args.temperatures != [None] and not uses_temperature(base):
        parser.error(f"--temperatures: {args.model} is not a bin classifier")
    for size in args.sizes:
        for temperature in args.temperatures:
            for scale, spread in itertools.product(args.scales, args.spreads):
                model = copy.deepcopy(base)
                model.input_size, model.ab_scale, model.ab_spread = size, scale, spread
                label = f"size={size} scale={scale:g}" + (f" spread={spread:g}" if args.spreads != [1.0] else "")
                if temperature is not None:
                    model.temperature = temperature
                    label += f" T={temperature:g}"
                candidates[label] = model
    board = evaluate_models(candidates, photos)
    means = board.means()
    grey = means[GREY]
    rows = []
    for label in candidates:
        rows.append(
            {
                "label": label,
                "psnr_gain": means[label]["psnr"] - grey["psnr"],
                "auc_gain": means[label]["auc"] - grey["auc"],
                "colourfulness": board.colorfulness_ratio(label),
            }
        )
        print(f"{label:22s} ΔPSNR {rows[-1]['psnr_gain']:+.3f} dB  ΔAuC {rows[-1]['auc_gain']:+.4f}  colourfulness {100 * rows[-1]['colourfulness']:.1f} %")
    eligible = [row for row in rows if row["colourfulness"] >= args.min_colourfulness]
    chosen = max(eligible or rows, key=lambda row: row["psnr_gain"] if eligible else row["colourfulness"])
    print(f"chosen ({len(photos)} photos, colourfulness >= {100 * args.min_colourfulness:.0f} %): {chosen['label']}")
    if args.out:
        out = Path(args.out)
        board.write(out)
        (out / "calibration.json").write_text(json.dumps({"photos": len(photos), "rows": rows, "chosen": chosen}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
