from jalin_kit.serve import main

from jalin_notifications.settings import NotificationsSettings

if __name__ == "__main__":
    main(NotificationsSettings, "jalin_notifications.app")
