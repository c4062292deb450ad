"""The admin login that `make run` creates in embedded dev mode, and only there."""

import secrets

from django.contrib.auth import get_user_model

from config.env import VAR_DIR

USERNAME = "admin"
PASSWORD_FILE = VAR_DIR / "dev-admin-password.txt"


def ensure_dev_admin() -> tuple[str, str | None]:
    """Create the dev superuser on first run; return (username, password if known)."""
    User = get_user_model()
    if not User.objects.filter(username=USERNAME).exists():
        password = secrets.token_urlsafe(12)
        User.objects.create_superuser(USERNAME, "admin@localhost", password)
        PASSWORD_FILE.write_text(password + "\n")
        PASSWORD_FILE.chmod(0o600)
        return USERNAME, password
    if PASSWORD_FILE.exists():
        return USERNAME, PASSWORD_FILE.read_text().strip()
    return USERNAME, None
