"""Admin of notifications."""
