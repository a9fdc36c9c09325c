"""Features (placeholder, being written)."""
