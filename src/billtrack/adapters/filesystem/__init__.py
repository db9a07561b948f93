"""Adapters over the local machine: PDFs in a folder with self-signed links, mail written to a folder, the system clock."""
