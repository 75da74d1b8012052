"""Jalin console: the officials' web application, server-rendered over the services' HTTP APIs."""
