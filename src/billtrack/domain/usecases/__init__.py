"""Use cases: one function per operation, taking ports as arguments and primitives as input.

They open a unit of work, let the model check its rules, and commit. Entrypoints call them; nothing
else decides what an operation does.
"""
