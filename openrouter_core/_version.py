"""The package version (one place, read by the build and by every package)."""

__version__ = "0.1.0"
