"""HTML views of notifications."""
