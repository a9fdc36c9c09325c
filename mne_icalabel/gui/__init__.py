"""GUI (placeholder, being written)."""
