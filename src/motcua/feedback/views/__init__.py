"""HTML views of feedback: ``public`` (search, send, follow, rate) and ``officials`` (queue, handling)."""
