from jalin_kit.serve import serve

from jalin_notifications.app import build
from jalin_notifications.settings import NotificationsSettings

if __name__ == "__main__":
    serve(build, NotificationsSettings)  # from the environment, or a clear refusal
