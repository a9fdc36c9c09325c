"""Version of the package (kept in one place, read by pyproject.toml)."""

__version__ = "0.10.0"
