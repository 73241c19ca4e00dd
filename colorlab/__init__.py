"""colorlab: a notebook-first teaching kit for automatic image colorization."""
__version__ = "0.1.0"
