"""Entities, value objects, the invoice calculation and the rules that protect them.

Nothing here does I/O or imports a framework; everything is a frozen dataclass.
"""
