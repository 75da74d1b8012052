"""The tenant registry, which this service owns: the platform operator onboards, changes,
disables and enables regions (``api.py``); each change commits with a ``tenant.changed``
event that the other services' copies follow (``jalin_kit.tenants``)."""
