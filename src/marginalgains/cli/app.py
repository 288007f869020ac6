"""The `gains` Typer application; command modules register their commands on it."""

import typer

app = typer.Typer(
    name="gains",
    help="marginal-gains: find, size and help close unwarranted variation in health care.",
    no_args_is_help=True,
    add_completion=False,
)
