from jalin_kit.serve import load_settings, serve

from jalin_proposals.settings import ProposalsSettings

if __name__ == "__main__":
    # The settings first (from the environment, or a clear refusal), the app's imports after:
    # a refused start costs a fraction of a second, not the seconds the app's modules take.
    settings = load_settings(ProposalsSettings)
    from jalin_proposals.app import build

    serve(build, settings)
