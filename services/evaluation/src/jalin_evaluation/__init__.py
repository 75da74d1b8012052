"""Jalin evaluation service."""
