"""Thin wiring: each entrypoint builds adapters from settings in one bootstrap and calls use cases."""
