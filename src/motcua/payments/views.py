"""HTML views of payments."""
