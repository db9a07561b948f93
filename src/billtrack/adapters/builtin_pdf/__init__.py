"""A pure-Python PDF renderer for invoices, used when no Chromium is available.

- `renderer`: `BuiltinPdfRenderer`, the invoice's layout on one A4 page;
- `printable_text`: what text can be printed, and `UnsupportedText` for what cannot;
- `pdf_writer`, `font_embedding`, `pdf_objects`: the PDF file, its page and its embedded fonts;
- `truetype`, `shipped_fonts`: the DejaVu Sans fonts in `fonts/`, read once, subset per PDF.
"""
