"""Command-line entry point; subcommands are filled in as the service grows."""

from __future__ import annotations

import argparse

from mailtui import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mailtui", description="A keyboard-driven terminal mail client.")
    parser.add_argument("--version", action="version", version=f"mailtui {__version__}")
    return parser


def main(argv: list[str] | None = None) -> int:
    build_parser().parse_args(argv)
    return 0
