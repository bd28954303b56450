"""Models of payments."""
