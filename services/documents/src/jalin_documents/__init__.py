"""Jalin documents service."""
