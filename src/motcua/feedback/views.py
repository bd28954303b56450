"""HTML views of feedback."""
