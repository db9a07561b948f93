"""Adapters over the running system itself: the real clock."""
