"""Jalin proposals service: cooperation proposals (usulan kerja sama) and their lifecycle."""
