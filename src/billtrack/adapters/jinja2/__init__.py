"""Jinja2 templates: the invoice mail's text and HTML parts."""
