"""Benchmarks: each compares a candidate with a baseline run in the same process, as a ratio."""
