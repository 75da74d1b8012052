"""Jalin kit: the mechanisms every Jalin service shares. It holds no business rules."""
