"""The jalin command."""
