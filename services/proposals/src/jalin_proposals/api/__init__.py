"""HTTP routes of the proposals service."""

from jalin_proposals.api import actions, agreements, history, imports, proposals
from jalin_proposals.mapping.api import router as mapping_router
from jalin_proposals.registry.api import router as registry_router

routers = [proposals.router, actions.router, agreements.router, history.router, mapping_router, imports.router,
           registry_router]
