"""marginal-gains: find, size and help close unwarranted variation in health care."""


def __getattr__(name: str):
    """`marginalgains.__version__`, looked up only when asked for (importlib.metadata is slow to import)."""
    if name != "__version__":
        raise AttributeError(f"module 'marginalgains' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("marginal-gains")
    except PackageNotFoundError:  # running from a source tree without installation
        return "0.0.0"
