import re

import requests
from django.conf import settings

from notifications.messages import Notification

from .base import Transport
from .http import post_json

# What BotFather hands out: the bot's numeric id, a colon, then a secret of letters, digits,
# "_" and "-" (35 characters today).
BOT_TOKEN = re.compile(r"[0-9]{1,20}:[A-Za-z0-9_-]{20,100}")
# A chat's numeric id (groups and channels are negative), or a public channel's @username.
CHAT_ID = re.compile(r"-?[0-9]{1,20}|@[A-Za-z][A-Za-z0-9_]{3,31}")


def telegram_escape(text: str) -> str:
    """Telegram's HTML knows only the named entities &lt; &gt; &amp; and &quot;."""
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def telegram_reason(response: requests.Response) -> str:
    # {"ok": false, "error_code": 429, "description": "Too Many Requests: retry after 5",
    #  "parameters": {"retry_after": 5}}; a group that became a supergroup answers 400 with
    # its new id in parameters.migrate_to_chat_id.
    answer = response.json()
    parameters = answer.get("parameters") or {}
    reason = answer.get("description", "")
    if "retry_after" in parameters:
        reason += f" (retry after {parameters['retry_after']} s)"
    if "migrate_to_chat_id" in parameters:
        reason += f" (the chat_id is now {parameters['migrate_to_chat_id']})"
    return reason


class TelegramTransport(Transport):
    """A message from a Telegram bot to a chat.

    The Bot API takes the token in the URL path, so the URL is never shown: errors name the
    endpoint "Telegram sendMessage" instead, and config errors never repeat the token.
    """

    kind = "telegram"

    @classmethod
    def validate_config(cls, config: dict) -> list[str]:
        if not isinstance(config, dict):
            config = {}
        problems = []
        token = config.get("bot_token")
        if not isinstance(token, str) or not BOT_TOKEN.fullmatch(token):
            problems.append(
                'bot_token: give the token BotFather sent, "<digits>:<letters, digits, _ or '
                '->", e.g. 123456789:AAH...; check that it was copied whole.'
            )
        chat_id = config.get("chat_id")
        if isinstance(chat_id, bool) or not isinstance(chat_id, (int, str)) or not (
            CHAT_ID.fullmatch(str(chat_id))
        ):
            problems.append(
                "chat_id: give the chat's numeric id (e.g. -1001234567890) or a public "
                "channel's @username."
            )
        return problems

    def notify(self, notification: Notification) -> str:
        payload = {
            "chat_id": self.config["chat_id"],
            # Not cut to Telegram's 4,096 characters: the limit counts the text after its tags
            # are parsed, a monitor's name, URL and error stay well within it, and a cut could
            # split a tag, which Telegram refuses.
            "text": notification.render("telegram/message.html", escape=telegram_escape),
            "parse_mode": "HTML",
            # A preview of the monitored URL or of the monitor page would dwarf the alert.
            "disable_web_page_preview": True,
        }
        response = post_json(
            f"{settings.UPTIME_TELEGRAM_API_URL}/bot{self.config['bot_token']}/sendMessage",
            payload,
            endpoint="Telegram sendMessage",
            reason=telegram_reason,
        )
        try:
            message_id = response.json()["result"]["message_id"]
        except (ValueError, LookupError, TypeError):
            return f"HTTP {response.status_code}"
        return f"HTTP {response.status_code}, message_id {message_id}"
