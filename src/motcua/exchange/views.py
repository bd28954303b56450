"""HTML views of exchange."""
