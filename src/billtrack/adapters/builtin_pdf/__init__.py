"""A pure-Python PDF renderer for invoices, used when no Chromium is available."""
