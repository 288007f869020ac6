"""The `gains` Typer application; command modules register their commands on it.

Command modules import only Typer and the standard library at the top, and the heavy libraries
(pandas, scipy, Altair, Ibis) inside the commands that need them, so `gains --help` and
`gains --version` answer at once (benchmarks/bench_cli.py).
"""

from typing import Annotated, NoReturn, Optional

import typer

app = typer.Typer(
    name="gains",
    help="marginal-gains: find, size and help close unwarranted variation in health care.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,  # plain help: typer's Rich help imports Markdown rendering (0.6 s) and reads [..] as markup
    pretty_exceptions_enable=False,
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON (numbers, not only sentences).")]
QuietOption = Annotated[bool, typer.Option(help="Print nothing but errors.")]
MemoryLimitOption = Annotated[Optional[str], typer.Option(
    help="The most memory the run may use (8GB, 512MB): an input needing more is refused before it is read, and "
         "DuckDB is held to it. Default: MARGINALGAINS_MEMORY_LIMIT, else the memory available.")]


def _print_version(requested: bool) -> None:
    if requested:
        from marginalgains import __version__

        print(f"marginal-gains {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[Optional[bool], typer.Option("--version", callback=_print_version, is_eager=True,
                                                    help="Print the version and exit.")] = None,
) -> None:
    """marginal-gains: find, size and help close unwarranted variation in health care."""


def fail(exc: Exception) -> NoReturn:
    """Print the error on stderr and leave with exit code 2 (bad input, not a crash)."""
    from rich.console import Console
    from rich.markup import escape

    Console(stderr=True, highlight=False, soft_wrap=True).print(f"[bold red]error:[/] {escape(str(exc))}")
    raise typer.Exit(2) from None


def console(quiet: bool = False, stderr: bool = False):
    """A Rich console for a command's output: no highlighting, long lines kept whole."""
    from rich.console import Console

    return Console(quiet=quiet, stderr=stderr, highlight=False, soft_wrap=True)


def progress_bar(console, quiet: bool = False):
    """A transient progress display (description, bar, count, time) for steps that take seconds."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=console, transient=True, disable=quiet)


def print_json(document) -> None:
    """JSON on stdout, with NaN written as null (JSON has no NaN)."""
    import json
    import math

    def clean(value):
        if isinstance(value, float) and not math.isfinite(value):
            return None
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [clean(v) for v in value]
        return value

    print(json.dumps(clean(document), indent=2, default=str))
