"""Reads about users and tokens."""

from __future__ import annotations

from django.utils import timezone

from baton.agents.models import ApiToken, User, hash_token


def get_user_for_token(raw_key: str) -> User | None:
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=hash_token(raw_key), user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
