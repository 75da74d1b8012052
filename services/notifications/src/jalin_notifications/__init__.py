"""Jalin notifications service."""
