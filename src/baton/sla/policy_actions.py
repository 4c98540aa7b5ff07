"""Reordering SLA policies (the rest of their configuration is ``sla.actions``).

A separate write module so that the configuration actions in ``sla.actions`` stay as they
are; it uses their audit record and their re-evaluation task.
"""

from __future__ import annotations

from django.db import transaction

from baton.agents.models import User
from baton.conversations.audit import record_config_event
from baton.core.errors import NotFound
from baton.sla.actions import refresh_after_policy_change
from baton.sla.models import SlaPolicy


def do_move_policy(actor: User | None, policy_id: int, offset: int) -> None:
    """Move a policy up (``offset`` -1) or down (+1) in the order policies are tried.

    Renumbers every policy (0, 1, 2 …) under row locks: equal positions (the default, or
    given through the API) would otherwise make a swap a no-op. The first matching policy
    applies, so open conversations are re-evaluated after commit.
    """
    with transaction.atomic():
        policies = list(SlaPolicy.objects.select_for_update().order_by("position", "id"))
        ids = [p.pk for p in policies]
        if policy_id not in ids:
            raise NotFound(f"SLA policy {policy_id} does not exist.")
        index = ids.index(policy_id)
        target = index + offset
        if offset == 0 or not 0 <= target < len(ids):
            return
        before = ids[:]
        ids.insert(target, ids.pop(index))
        for position, pk in enumerate(ids):
            SlaPolicy.objects.filter(pk=pk).update(position=position)
        name = policies[index].name
        record_config_event(
            actor,
            f"SLA policy “{name}” moved {'up' if offset < 0 else 'down'}",
            {"object": "sla_policy_order", "before": {"order": before}, "after": {"order": ids}},
        )
        transaction.on_commit(refresh_after_policy_change.enqueue)
