"""``baton createuser``: people get a readable name even when ``--name`` is left out."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from baton.agents.models import User


@pytest.mark.parametrize(
    ("username", "name"),
    [("alice", "Alice"), ("maria.lopez", "Maria Lopez"), ("jean-luc_picard", "Jean Luc Picard")],
)
def test_without_a_name_the_username_gives_one(db, username, name):
    out = StringIO()
    call_command("createuser", username, "--password", "pw", stdout=out)
    user = User.objects.get(username=username)
    assert user.display_name == name
    assert user.name == name
    assert f"“{name}”" in out.getvalue()


def test_a_given_name_is_kept(db):
    call_command("createuser", "mlopez", "--name", "María López", stdout=StringIO())
    assert User.objects.get(username="mlopez").name == "María López"
