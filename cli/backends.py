"""``casebook backends``: which model backends can run here, and why not."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from cli.main import EXIT_OK, print_json

if TYPE_CHECKING:
    from engine.backends.registry import BackendSettings


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    """Add the backends subcommand."""
    parser = subparsers.add_parser(
        "backends",
        parents=[common],
        help="list the model backends and whether each can run here",
        description="List every answer backend (embedded, medgemma, openai) with whether it "
        "can run on this machine and, if not, what is missing: a package, the model "
        "weights, a GPU or a server. Options override the CASEBOOK_* environment variables.",
    )
    add_backend_options(parser)
    parser.set_defaults(handler=run_backends)


def add_backend_options(parser: argparse.ArgumentParser) -> None:
    """Add the options that configure the model backends (shared with `casebook ask`)."""
    parser.add_argument(
        "--model-path",
        metavar="PATH_OR_ID",
        help="MedGemma folder or Hugging Face id (default: $CASEBOOK_MODEL_PATH, "
        "else google/medgemma-1.5-4b-it)",
    )
    parser.add_argument(
        "--device",
        choices=["cuda", "cpu"],
        help="where MedGemma runs (default: $CASEBOOK_DEVICE, else the GPU when there is one)",
    )
    parser.add_argument(
        "--base-url",
        metavar="URL",
        help="OpenAI-compatible server, e.g. http://gpu-host:8000/v1 "
        "(default: $CASEBOOK_OPENAI_BASE_URL)",
    )
    parser.add_argument(
        "--model-name",
        metavar="NAME",
        help="model name on that server (default: $CASEBOOK_OPENAI_MODEL)",
    )


def backend_settings(args: argparse.Namespace) -> BackendSettings:
    """Backend settings from the environment, overridden by command-line options."""
    from engine.backends.registry import BackendSettings

    return BackendSettings.from_env(
        model_path=getattr(args, "model_path", None),
        device=getattr(args, "device", None),
        base_url=getattr(args, "base_url", None),
        model_name=getattr(args, "model_name", None),
    )


def run_backends(args: argparse.Namespace) -> int:
    """Print each backend with its availability and reason."""
    from engine.backends.registry import list_backends

    infos = list_backends(backend_settings(args))
    if args.json:
        print_json(
            [
                {"name": i.name, "available": i.available, "reason": i.reason}
                for i in infos
            ]
        )
        return EXIT_OK
    width = max(len(i.name) for i in infos)
    for info in infos:
        state = "available  " if info.available else "unavailable"
        print(f"{info.name:<{width}}  {state}  {info.reason}")
    return EXIT_OK
