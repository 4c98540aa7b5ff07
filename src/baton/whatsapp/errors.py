"""What Graph API error codes mean for an inbox: retry or not, and what to tell the agent."""

from dataclasses import dataclass

# Codes that clear up by themselves: throughput, pair rate limit, maintenance, transient.
RETRYABLE_CODES = {4, 80007, 130429, 131000, 131016, 131048, 131056, 131057, 133016, 2}

HUMAN_REASONS = {
    0: "WhatsApp refused the credentials of this number. An admin must check the access token.",
    3: "This number is not allowed to use this API capability. Check the app's configuration.",
    4: "Too many API calls for this app; Baton retried later.",
    10: "Permission denied. Check the app's permissions for this WhatsApp number.",
    100: "WhatsApp rejected the request as invalid (unknown parameter or wrong number id).",
    190: "The access token of this number has expired or is invalid. An admin must renew it.",
    368: "This WhatsApp account is temporarily blocked for policy violations.",
    130429: "WhatsApp's throughput limit for this number was reached; Baton retried later.",
    130472: "The customer's number is part of a WhatsApp experiment; the message was not sent.",
    131000: "WhatsApp had an internal error.",
    131005: "Access denied by WhatsApp.",
    131008: "A required parameter was missing.",
    131009: "A parameter value was not valid.",
    131016: "WhatsApp was temporarily unavailable.",
    131021: "The recipient is this business number itself.",
    131026: "The message could not be delivered: the customer may not use WhatsApp, "
    "have an old app version, or not have accepted WhatsApp's terms.",
    131031: "This WhatsApp Business account is locked.",
    131042: "There is a payment problem with this WhatsApp Business account.",
    131047: "More than 24 hours have passed since the customer last wrote. "
    "Only an approved template can reopen the conversation.",
    131048: "WhatsApp's spam rate limit was hit; slow down.",
    131049: "WhatsApp held this marketing message back to protect the ecosystem. "
    "Try again after 24 h.",
    131050: "The customer has stopped marketing messages from this business.",
    131051: "This message type is not supported.",
    131052: "The customer's media could not be downloaded; ask them to send it again.",
    131053: "The media could not be uploaded (wrong type or size).",
    131056: "Too many messages to this customer in a short time; Baton retried later.",
    131057: "The WhatsApp account is in maintenance.",
    131062: "Authentication templates cannot be sent to a username-only contact.",
    132000: "The template's parameter count does not match the approved template.",
    132001: "The template does not exist in this language or is not approved.",
    132005: "The template text is too long once filled in.",
    132007: "The template's content breaks WhatsApp policy.",
    132012: "A template parameter has the wrong format.",
    132015: "The template is paused because of low quality.",
    132016: "The template is disabled.",
}


@dataclass(frozen=True)
class GraphError:
    """A failure reported by the Graph API (sync response) or a failed status webhook."""

    code: int | None
    title: str
    details: str
    http_status: int | None = None

    @property
    def is_retryable(self) -> bool:
        if self.code in RETRYABLE_CODES:
            return True
        # Codes we do not know, on a server error or rate-limit response, are worth another try.
        return self.code not in HUMAN_REASONS and self.http_status in (429, 500, 502, 503, 504)

    @property
    def reason(self) -> str:
        return human_reason(self.code, self.title, self.details)


def human_reason(code: int | None, title: str = "", details: str = "") -> str:
    known = HUMAN_REASONS.get(code) if code is not None else None
    parts = [known or title or "WhatsApp reported an error."]
    if details and details not in parts[0]:
        parts.append(details)
    return " ".join(parts)
