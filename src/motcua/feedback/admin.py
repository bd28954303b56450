"""Admin of feedback."""
