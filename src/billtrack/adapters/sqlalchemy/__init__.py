"""SQLAlchemy adapters: one family for SQLite (the embedded default) and PostgreSQL (psycopg 3)."""
