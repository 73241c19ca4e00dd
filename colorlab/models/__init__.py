"""Colorization networks, one file per family, and the registry that builds them by name."""

from colorlab.models.registry import available, bundled, describe, load, register

__all__ = ["available", "bundled", "describe", "load", "register"]
