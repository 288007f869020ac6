"""The `gains` Typer application; command modules register their commands on it."""

from typing import NoReturn

import typer
from rich.console import Console

app = typer.Typer(
    name="gains",
    help="marginal-gains: find, size and help close unwarranted variation in health care.",
    no_args_is_help=True,
    add_completion=False,
)


def fail(exc: Exception) -> NoReturn:
    """Print the error on stderr and leave with exit code 2 (bad input, not a crash)."""
    Console(stderr=True, highlight=False, soft_wrap=True).print(f"[bold red]error:[/] {exc}")
    raise typer.Exit(2) from None
