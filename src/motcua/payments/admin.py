"""Admin of payments."""
