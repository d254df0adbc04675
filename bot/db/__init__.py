"""Storage: SQLAlchemy Core tables, the engine and migrations."""
