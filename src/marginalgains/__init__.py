"""marginal-gains: find, size and help close unwarranted variation in health care."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("marginal-gains")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"
