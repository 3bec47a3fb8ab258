"""The store: cached facts, comparisons and reports, the history of scans, in SQLite or PostgreSQL."""
