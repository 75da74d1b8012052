from jalin_kit.serve import serve

from jalin_console.app import build
from jalin_console.settings import ConsoleSettings

if __name__ == "__main__":
    serve(build, ConsoleSettings)  # from the environment, or a clear refusal
