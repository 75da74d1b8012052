from jalin_kit.serve import main

from jalin_proposals.settings import ProposalsSettings

if __name__ == "__main__":
    main(ProposalsSettings, "jalin_proposals.app")
