"""Implementations of the ports, one family per technology. Families never import one another."""
