"""Annotation (placeholder, being written)."""
