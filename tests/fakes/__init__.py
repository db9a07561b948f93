"""Test doubles: a clock that stands still, a cheap hasher and tokens, a renderer that records."""
