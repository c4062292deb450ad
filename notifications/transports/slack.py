from urllib.parse import urlsplit

import requests

from notifications.messages import Notification

from .base import Transport
from .http import post_json, url_problems

# A section's text may hold at most 3,000 characters; Slack refuses the whole message beyond.
SECTION_TEXT_LIMIT = 3000


def slack_escape(text: str) -> str:
    """Slack's mrkdwn treats only these three as markup (<https://...|link>, <!channel>); the
    rest of the text, HTML entities included, is shown as written."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_reason(response: requests.Response) -> str:
    # Incoming webhooks answer errors as a short plain-text code: no_service,
    # channel_is_archived, invalid_payload, action_prohibited...
    return response.text[:100]


class SlackTransport(Transport):
    """A message to a Slack incoming webhook."""

    kind = "slack"

    @classmethod
    def validate_config(cls, config: dict) -> list[str]:
        url = config.get("webhook_url") if isinstance(config, dict) else None
        if not isinstance(url, str) or not url:
            return ['A Slack channel needs "webhook_url": the incoming webhook\'s URL.']
        problems = url_problems("webhook_url", url)
        # The URL is the credential: it must never travel in clear text.
        if not problems and urlsplit(url).scheme.lower() != "https":
            problems.append("webhook_url: a Slack webhook URL starts with https://.")
        return problems

    def notify(self, notification: Notification) -> str:
        details = notification.render("slack/details.txt", escape=slack_escape)
        payload = {
            # The text is what notifications and screen readers show; the blocks replace it
            # in the channel itself.
            "text": notification.render("summary.txt", escape=slack_escape),
            # A link in the text rather than a url button: a button makes Slack expect an
            # interactivity endpoint, which an incoming webhook has none of.
            "blocks": [
                {
                    "type": "section",
                    "text": {"type": "mrkdwn", "text": details[:SECTION_TEXT_LIMIT]},
                }
            ],
            # A monitored URL in the text would otherwise be previewed under every alert.
            "unfurl_links": False,
            "unfurl_media": False,
        }
        response = post_json(
            self.config["webhook_url"], payload, endpoint="Slack", reason=slack_reason
        )
        return f"HTTP {response.status_code} {response.text[:100]}".strip()
