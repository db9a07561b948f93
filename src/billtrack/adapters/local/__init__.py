"""Adapters over the local file system: PDFs in a folder, mail written to a folder."""
