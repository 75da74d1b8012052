from jalin_kit.serve import serve

from jalin_evaluation.app import build
from jalin_evaluation.settings import EvaluationSettings

if __name__ == "__main__":
    serve(build, EvaluationSettings)  # from the environment, or a clear refusal
