import sys

import uvicorn
from jalin_kit.settings import SettingsProblem
from pydantic import ValidationError

from jalin_console.app import build
from jalin_console.settings import ConsoleSettings


def main() -> None:
    try:
        settings = ConsoleSettings()
    except ValidationError as exc:
        problems = "\n".join(f"  - {e['msg'].removeprefix('Value error, ')}" for e in exc.errors())
        sys.exit(f"jalin-console cannot start:\n{problems}")
    except SettingsProblem as exc:  # a secret file that cannot be read, a secret given twice
        sys.exit(f"jalin-console cannot start:\n  - {exc}")
    uvicorn.run(build(settings), host=settings.host, port=settings.port, log_config=None, access_log=False,
                timeout_graceful_shutdown=10)


if __name__ == "__main__":
    main()
