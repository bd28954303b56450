"""Admin of exchange."""
