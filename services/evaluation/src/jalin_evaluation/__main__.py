from jalin_kit.serve import main

from jalin_evaluation.settings import EvaluationSettings

if __name__ == "__main__":
    main(EvaluationSettings, "jalin_evaluation.app")
