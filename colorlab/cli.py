"""The ``colorlab`` command line. It only parses arguments and calls the package.

Conventions, the same for every command:

* results go to stdout (written paths, tables); diagnostics go to stderr (skipped files, errors,
  the failure summary), one line each, never a traceback for a user mistake
  (:class:`colorlab.io.ColorlabError`);
* progress bars only when stderr is a terminal, never with ``--quiet``;
* exit status: 0 all done, 1 some inputs failed, 2 usage error (bad arguments or a user mistake).

Each subcommand lives in a ``_add_<name>`` function that registers its parser and sets ``func``.
This module imports no torch: parsing and ``--help`` stay fast, and each command imports what
it needs when it runs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from colorlab import __version__
from colorlab.io import ColorlabError
from colorlab.models.registry import DEFAULT_MODEL, available, bundled
from colorlab.models.released import OFFICIAL_WEIGHTS

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_CODES = "exit status: 0 all done, 1 some inputs failed, 2 usage error"

#: ``colorlab.inference.MODES``, repeated so that parsing does not import torch (a test checks they agree).
MODES = ("exact", "fast", "auto")


def _progress(args: argparse.Namespace) -> bool | None:
    """A progress bar only when stderr is a terminal (None, tqdm's ``disable=None``), never with --quiet."""
    return False if args.quiet else None


def _diagnostic(message: str) -> None:
    """One line on stderr (through tqdm, so that a progress bar on the terminal is not torn)."""
    from tqdm import tqdm

    tqdm.write(message, file=sys.stderr)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="colorlab", description="Automatic image colorization, a teaching kit.", epilog=EXIT_CODES
    )
    parser.add_argument("--version", action="version", version=f"colorlab {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in _SUBCOMMANDS:
        add(sub)
    return parser


def _model_help() -> str:
    return (
        "'auto' (the strongest model whose weights are here: released siggraph17, then released "
        f"eccv16, then the bundled default; never downloads), 'default' (= {DEFAULT_MODEL}), a model "
        f"with bundled weights: {', '.join(bundled())}, or released weights: "
        f"{', '.join(name + ':official' for name in OFFICIAL_WEIGHTS)} (downloaded once; see 'colorlab "
        "weights'). 'colorlab models' lists every model and its weights"
    )


def _add_data(sub) -> None:
    """``colorlab data list`` and ``colorlab data download NAME [--dest DIR]``."""
    parser = sub.add_parser(
        "data",
        epilog=EXIT_CODES,
        help="list or download the datasets the kit knows",
        description="List or download the datasets the kit knows (see data/README.md). "
        "Files go to $COLORLAB_DATA, default ~/.cache/colorlab/data.",
    )
    parser.set_defaults(func=lambda args: parser.print_help(sys.stderr) or EXIT_USAGE)
    actions = parser.add_subparsers(dest="data_action", metavar="ACTION")

    listing = actions.add_parser("list", epilog=EXIT_CODES, help="table of the known datasets and what is on disk")
    listing.add_argument("--dest", metavar="DIR", default=None, help="data folder to look in")
    listing.set_defaults(func=_run_data_list)

    fetching = actions.add_parser("download", epilog=EXIT_CODES, help="download, verify and unpack one dataset")
    fetching.add_argument("name", help="dataset name, as shown by 'colorlab data list'")
    fetching.add_argument("--dest", metavar="DIR", default=None, help="data folder to save into")
    fetching.add_argument("--quiet", action="store_true", help="no progress bar")
    fetching.add_argument(
        "--recheck", action="store_true", help="recompute the checksum of an archive already on disk"
    )
    fetching.set_defaults(func=_run_data_download)


def _run_data_list(args: argparse.Namespace) -> int:
    from colorlab.data.download import datasets_table, default_data_dir

    print(datasets_table(args.dest))
    print(f"data folder: {args.dest or default_data_dir()}")
    return 0


def _run_data_download(args: argparse.Namespace) -> int:
    from colorlab.data.download import fetch

    print(fetch(args.name, args.dest, progress=_progress(args), recheck=args.recheck))
    return 0


def _add_train(sub) -> None:
    """``colorlab train --model NAME --data SPEC... --epochs N --out DIR``."""
    parser = sub.add_parser(
        "train",
        epilog=EXIT_CODES,
        help="train a registered model (resumes when --out holds a checkpoint)",
        description="Train a registered model with the kit's training loop. Also runs under "
        "'torchrun --nproc_per_node=N -m colorlab train ...' (data-parallel).",
    )
    parser.add_argument("--model", required=True, help="one of: " + ", ".join(available()))
    parser.add_argument(
        "--data",
        nargs="+",
        required=True,
        metavar="SPEC",
        help="'synthetic', 'folder PATH', 'npy PATH' (Kaggle LAB .npy), or a dataset name from 'colorlab data list'",
    )
    parser.add_argument("--val", nargs="+", metavar="SPEC", default=None, help="validation data, same forms as --data")
    parser.add_argument("--out", required=True, metavar="DIR", help="checkpoint folder (resumed from when it holds one)")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--max-steps", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=32, help="global batch size (split over processes)")
    parser.add_argument("--lr", type=float, default=None, help="learning rate (default: the family's own, e.g. 1e-3 regression, 2e-4 pix2pix)")
    parser.add_argument("--size", type=int, default=64, help="training image side")
    parser.add_argument("--limit", type=int, default=None, help="use only the first N training samples")
    parser.add_argument("--weights", default=None, help="initial weights (e.g. 'imagenet' or a file)")
    parser.add_argument("--loss", default=None, help="loss name for families that offer a choice (e.g. mse, l1)")
    parser.add_argument("--schedule", choices=("constant", "cosine"), default="constant", help="learning-rate schedule")
    parser.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a keyword for the model's builder, e.g. --option depth=3 --option skips=True (repeatable)",
    )
    parser.add_argument("--checkpoint-every", type=int, default=200, help="steps between checkpoints")
    parser.add_argument("--workers", type=int, default=0, help="DataLoader worker processes")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default=None, help="cpu, cuda, cuda:1, mps (default: automatic)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(func=_run_train)


def parse_options(items: list[str]) -> dict:
    """``["depth=3", "skips=True", "name=x"]`` -> ``{"depth": 3, "skips": True, "name": "x"}`` (Python literals, else strings)."""
    import ast

    options = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.isidentifier():
            raise ColorlabError(f"--option {item!r}: expected KEY=VALUE, e.g. depth=3")
        try:
            options[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            options[key] = value
    return options


def _run_train(args: argparse.Namespace) -> int:
    from colorlab.train import run_training

    result = run_training(
        model=args.model,
        data=args.data,
        val=args.val,
        out=args.out,
        epochs=args.epochs,
        max_steps=args.max_steps,
        batch_size=args.batch_size,
        lr=args.lr,
        size=args.size,
        limit=args.limit,
        weights=args.weights,
        loss=args.loss,
        checkpoint_every=args.checkpoint_every,
        num_workers=args.workers,
        seed=args.seed,
        device=args.device,
        progress=_progress(args),
        model_options=parse_options(args.option),
        schedule=args.schedule,
    )
    print(result)
    return 0


def _add_colorize(sub) -> None:
    """``colorlab colorize IN... -o OUTDIR [--model M] [--intensity X] [--mode exact|fast|auto] [--film F] [--format jpg|png]``."""
    parser = sub.add_parser(
        "colorize",
        epilog=EXIT_CODES,
        help="colorize photos and folders (recursively) into a folder",
        description="Colorize files and folders. Inputs are never modified; outputs are named "
        "<name>_color.<format> in OUTDIR (sub-folders kept). The written paths go to stdout, one "
        "line per skipped input to stderr.",
    )
    parser.add_argument("inputs", nargs="+", metavar="IN", help="image files or folders")
    parser.add_argument("-o", "--out", required=True, metavar="OUTDIR", help="output folder (created)")
    parser.add_argument("--model", default="auto", help=_model_help())
    parser.add_argument("--intensity", type=float, default=1.0, help="colour intensity: 0 grey, 1 model, >1 more")
    parser.add_argument("--temperature", type=float, default=None, help="annealing temperature (classifiers)")
    parser.add_argument("--mode", choices=MODES, default="exact",
                        help="exact: float32; fast: reduced precision where the CPU/GPU has it; auto: fast where measured faster")
    parser.add_argument("--film", choices=("panchromatic", "orthochromatic", "blue"), default=None,
                        help="the emulsion of old photos: orthochromatic (about 1880s-1920s, blind to red) or blue "
                        "(blue-sensitive plates, earlier); their grey is mapped back to the lightness the model "
                        "expects, using its own colour guess (colorlab.film.restore); panchromatic: no mapping")
    parser.add_argument("--format", choices=("jpg", "png"), default="jpg")
    parser.add_argument("--quality", type=int, default=95, help="JPEG quality")
    parser.add_argument("--quiet", action="store_true", help="no progress bar and no summary line")
    parser.set_defaults(func=_run_colorize)


def _run_colorize(args: argparse.Namespace) -> int:
    from colorlab.io import missing_inputs
    from colorlab.models.registry import resolve_model

    model = resolve_model(args.model)
    if args.model == "auto" and not args.quiet:
        _diagnostic(f"colorlab: model: {model} (auto)")
    missing = missing_inputs(args.inputs)
    if len(missing) == len(args.inputs):  # nothing to colorize: say so at once, without importing torch
        for message in missing:
            _diagnostic(f"colorlab: skipped: {message}")
        _diagnostic(f"colorlab: {len(missing)} of {len(missing)} input(s) failed")
        return EXIT_FAILED

    from colorlab.pipeline import colorize_files

    written, errors = colorize_files(
        args.inputs,
        args.out,
        model,
        intensity=args.intensity,
        temperature=args.temperature,
        mode=args.mode,
        film=args.film,
        fmt=args.format,
        quality=args.quality,
        progress=_progress(args),
        report=lambda message: _diagnostic(f"colorlab: skipped: {message}"),
    )
    for path in written:
        print(path)
    if errors:
        _diagnostic(f"colorlab: {len(errors)} of {len(errors) + len(written)} input(s) failed")
        return EXIT_FAILED
    if not args.quiet:
        print(f"colorized {len(written)} image(s) into {args.out}")
    return EXIT_OK


def _add_evaluate(sub) -> None:
    """``colorlab evaluate --models a,b,c --data FOLDER [--size 256] [--out DIR]``."""
    parser = sub.add_parser(
        "evaluate",
        epilog=EXIT_CODES,
        help="score models against the grey baseline on a folder of colour photos",
        description="Grey each photo, colorize it with every model (and the grey baseline, ab = 0), "
        "and write per-image scores (scores.csv) and a Markdown leaderboard (leaderboard.md).",
    )
    parser.add_argument(
        "--models",
        default="all",
        help="'all' (every bundled model, and the released weights that are cached), or a "
        "comma-separated list, each " + _model_help(),
    )
    parser.add_argument("--data", required=True, metavar="FOLDER", help="folder of colour photos (recursive)")
    parser.add_argument("--size", type=int, default=None, help="score SIZExSIZE centre crops (default: full resolution)")
    parser.add_argument("--intensity", type=float, default=1.0)
    parser.add_argument("--temperature", type=float, default=None)
    parser.add_argument("--limit", type=int, default=None, help="only the first N photos")
    parser.add_argument("--out", default="evaluation", metavar="DIR", help="where scores.csv and leaderboard.md go")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(func=_run_evaluate)


def _run_evaluate(args: argparse.Namespace) -> int:
    from colorlab.data import find_images
    from colorlab.evaluation import evaluate_models, leaderboard_models

    paths = find_images(args.data)[: args.limit]
    names = [name.strip() for name in args.models.split(",") if name.strip()]
    board = evaluate_models(
        leaderboard_models() if names == ["all"] else names,
        paths,
        size=args.size,
        intensity=args.intensity,
        temperature=args.temperature,
        progress=_progress(args),
    )
    csv_path, md_path = board.write(args.out)
    print(board.markdown())
    print(f"{len(paths)} photos; per-image scores in {csv_path}, table in {md_path}")
    return 0


def _add_models(sub) -> None:
    """``colorlab models``: one row per registered model."""
    parser = sub.add_parser(
        "models",
        epilog=EXIT_CODES,
        help="list every model: family, size, working size, and which weights are usable here",
        description="Every registered model with its family, parameter count, working size and "
        "the weights usable on this machine: bundled (ships with the kit), released (the authors' "
        "weights: cached, or downloadable with 'colorlab weights download NAME'), or none "
        "(train your own with 'colorlab train').",
    )
    parser.set_defaults(func=_run_models)


def models_table() -> str:
    """The table ``colorlab models`` prints (read from the registry's catalogue: no network is built)."""
    from colorlab.models.registry import CATALOGUE, bundled_path
    from colorlab.models.released import cache_dir, official_cached

    rows = [("model", "family", "parameters", "working size", "weights here")]
    for name, info in sorted(CATALOGUE.items()):
        weights = []
        if bundled_path(name).is_file():
            weights.append("bundled")
        if info.released:
            weights.append("released, cached" if official_cached(name) else "released, downloadable")
        label = f"{name} (default)" if name == DEFAULT_MODEL else name
        size = f"{info.input_size}x{info.input_size}"
        rows.append((label, info.family, f"{info.parameters / 1e6:.1f} M", size, " + ".join(weights) or "none"))
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines + [f"released weights are cached in {cache_dir()} (set TORCH_HOME to move it)"])


def _run_models(args: argparse.Namespace) -> int:
    print(models_table())
    return EXIT_OK


def _add_weights(sub) -> None:
    """``colorlab weights list | download NAME... | verify | path [NAME]``."""
    parser = sub.add_parser(
        "weights",
        epilog=EXIT_CODES,
        help="the authors' released ECCV16 / SIGGRAPH17 weights: list, download, verify, path",
        description="The released weights (about 130 MB each) live in torch.hub's checkpoint folder, "
        "$TORCH_HOME/hub/checkpoints (default ~/.cache/torch/hub/checkpoints); set TORCH_HOME to use "
        "another, e.g. a shared folder on lab machines. COLORLAB_WEIGHTS_MIRROR=<http(s) URL or "
        "folder> reads the files of the same names from a mirror. Every file is checked against "
        "the hash in its name before it is kept. Once cached, model 'auto' uses them.",
    )
    parser.set_defaults(func=lambda args: parser.print_help(sys.stderr) or EXIT_USAGE)
    actions = parser.add_subparsers(dest="weights_action", metavar="ACTION")
    names = ", ".join(OFFICIAL_WEIGHTS)

    listing = actions.add_parser("list", epilog=EXIT_CODES, help="what is cached, where, and its size")
    listing.set_defaults(func=_run_weights_list)

    fetching = actions.add_parser("download", epilog=EXIT_CODES, help="download (once) and verify released weights")
    fetching.add_argument("names", nargs="+", metavar="NAME", choices=tuple(OFFICIAL_WEIGHTS), help=f"one or more of: {names}")
    fetching.add_argument("--quiet", action="store_true", help="no progress bar")
    fetching.set_defaults(func=_run_weights_download)

    verifying = actions.add_parser("verify", epilog=EXIT_CODES, help="re-hash the cached files (exit 1 on a mismatch)")
    verifying.set_defaults(func=_run_weights_verify)

    path = actions.add_parser("path", epilog=EXIT_CODES, help="print the cache folder, or the file of NAME")
    path.add_argument("name", nargs="?", choices=tuple(OFFICIAL_WEIGHTS), metavar="NAME", help=f"one of: {names}")
    path.set_defaults(func=_run_weights_path)


def _run_weights_list(args: argparse.Namespace) -> int:
    from colorlab.models.released import released_table

    print(released_table())
    return EXIT_OK


def _run_weights_download(args: argparse.Namespace) -> int:
    from colorlab.models.released import official_weights_file

    failed = 0
    for name in dict.fromkeys(args.names):
        try:
            print(official_weights_file(name, progress=_progress(args)))
        except ColorlabError as error:
            failed += 1
            _diagnostic(f"colorlab: {name}: {error}")
    if failed:
        _diagnostic(f"colorlab: {failed} of {len(set(args.names))} download(s) failed")
        return EXIT_FAILED
    return EXIT_OK


def _run_weights_verify(args: argparse.Namespace) -> int:
    from colorlab.models.released import verify_released

    bad = 0
    for name, path, state in verify_released():
        print(f"{name}: {state} ({path})")
        bad += state.startswith("MISMATCH")
    if bad:
        _diagnostic(f"colorlab: {bad} cached file(s) do not match their hash: delete them and download again")
        return EXIT_FAILED
    return EXIT_OK


def _run_weights_path(args: argparse.Namespace) -> int:
    from colorlab.models.released import cache_dir, official_file

    print(official_file(args.name) if args.name else cache_dir())
    return EXIT_OK


_SUBCOMMANDS: list = [_add_colorize, _add_data, _add_evaluate, _add_models, _add_train, _add_weights]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 all done, 1 some inputs failed, 2 usage error)."""
    parser = build_parser()
    args = parser.parse_args(argv)  # exits with 2 on bad arguments (argparse)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return int(args.func(args) or EXIT_OK)
    except ColorlabError as error:
        print(f"colorlab: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("colorlab: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
