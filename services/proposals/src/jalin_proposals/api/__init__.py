"""HTTP routes of the proposals service."""

from jalin_proposals.api import actions, agreements, history, proposals

routers = [proposals.router, actions.router, agreements.router, history.router]
