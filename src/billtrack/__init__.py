"""billtrack: turn logged working hours into monthly invoices."""

__version__ = "0.1.0"
