"""Invoices printed to PDF by a headless Chromium driven through Playwright.

`PlaywrightPdfRenderer` (in `renderer`) is the `PdfRenderer`; `find_chromium` (in `discovery`)
answers which Chromium it can use and how that one was found.
"""
