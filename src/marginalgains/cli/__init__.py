"""Command-line faces: thin wrappers that parse, call the library, and print."""

from marginalgains.cli import atlas  # noqa: F401  (registers `gains atlas`, `gains demo`)
from marginalgains.cli import records  # noqa: F401
from marginalgains.cli import plan  # noqa: F401
from marginalgains.cli import track  # noqa: F401  (registers `gains track`, `gains plan new`)
from marginalgains.cli import workspace  # noqa: F401  (registers `gains serve`, `gains workspace ...`)
from marginalgains.cli import data_locations  # noqa: F401  (registers `gains workspace data-location ...`)
from marginalgains.cli.app import app


def main() -> None:
    app()
