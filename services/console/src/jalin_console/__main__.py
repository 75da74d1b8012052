from jalin_kit.serve import main

from jalin_console.settings import ConsoleSettings

if __name__ == "__main__":
    main(ConsoleSettings, "jalin_console.app")
