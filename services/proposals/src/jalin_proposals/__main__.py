from jalin_kit.serve import serve

from jalin_proposals.app import build
from jalin_proposals.settings import ProposalsSettings

if __name__ == "__main__":
    serve(build, ProposalsSettings)  # from the environment, or a clear refusal
