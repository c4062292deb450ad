import re

import requests

from notifications.messages import Notification
from notifications.models import Event

from .base import Transport
from .http import post_json, url_problems

RED, GREEN, AMBER, BLURPLE = 0xD93F3F, 0x2EB67D, 0xF2A33A, 0x5865F2
COLORS = {
    Event.INCIDENT_OPENED: RED,
    Event.INCIDENT_REMINDER: AMBER,
    Event.INCIDENT_ESCALATED: AMBER,
    Event.INCIDENT_RESOLVED: GREEN,
    Event.CERTIFICATE_EXPIRING: AMBER,
}
# Discord refuses the whole message when a part is longer than this.
CONTENT_LIMIT, TITLE_LIMIT, DESCRIPTION_LIMIT = 2000, 256, 4096

MARKDOWN = re.compile(r"([\\*_~`|<>\[\]()#@])")


def discord_escape(text: str) -> str:
    """Backslash before every character Discord's markdown could read as formatting, a
    masked link or a mention, so a monitor's name or error shows as typed. (Emoji shortcodes
    like :fire: are expanded by the app as one types, never in a message sent by a webhook.)"""
    return MARKDOWN.sub(r"\\\1", text)


def discord_reason(response: requests.Response) -> str:
    # {"message": "Unknown Webhook", "code": 10015}; a 429 adds "retry_after" (seconds).
    answer = response.json()
    retry = f" (retry after {answer['retry_after']} s)" if "retry_after" in answer else ""
    return f"{answer.get('message', '')}{retry}"


class DiscordTransport(Transport):
    """A message to a Discord channel webhook."""

    kind = "discord"

    @classmethod
    def validate_config(cls, config: dict) -> list[str]:
        url = config.get("webhook_url") if isinstance(config, dict) else None
        if not isinstance(url, str) or not url:
            return ['A Discord channel needs "webhook_url": the channel webhook\'s URL.']
        return url_problems("webhook_url", url)

    def notify(self, notification: Notification) -> str:
        payload = {
            "content": notification.render("summary.txt", escape=discord_escape)[:CONTENT_LIMIT],
            "embeds": [
                {
                    "title": notification.render("discord/title.txt", escape=discord_escape)[
                        :TITLE_LIMIT
                    ],
                    "description": notification.render(
                        "discord/description.txt", escape=discord_escape
                    )[:DESCRIPTION_LIMIT],
                    "url": notification.monitor_url,
                    "color": COLORS.get(notification.event, BLURPLE),
                    "timestamp": notification.happened_at.isoformat(),
                }
            ],
            # Escaping shows "@everyone" as text; this makes sure that no name or error can
            # ping anyone, whatever the escaping misses.
            "allowed_mentions": {"parse": []},
        }
        response = post_json(
            self.config["webhook_url"],
            payload,
            # wait=true: Discord answers with the message it created instead of 204 No Content.
            params={"wait": "true"},
            endpoint="Discord",
            reason=discord_reason,
        )
        try:
            return f"HTTP {response.status_code}, message {response.json()['id']}"
        except (ValueError, KeyError, TypeError):
            # Accepted all the same; a Discord-compatible server may ignore wait=true.
            return f"HTTP {response.status_code}"
