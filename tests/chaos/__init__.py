"""Fault injection on the whole desk: `make chaos` (long) and, shortened, in `make test`."""
