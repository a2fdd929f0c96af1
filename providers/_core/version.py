"""The one version: pyproject.toml, `atomic --version` and the User-Agent read it."""
__version__ = "0.1.0"
