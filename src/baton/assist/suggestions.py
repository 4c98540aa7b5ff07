"""Reply suggestions from a team's own answers: BM25 over past customer messages.

For each team, the index holds pairs (what a customer wrote, the reply a person sent next
in the same conversation), the latest ``BATON_ASSIST_INDEX_PAIRS`` of them. A query is the
customer's latest message; the best matching past messages give their replies. Matching
canned responses (the ones the agent may use) are ranked the same way and mixed in.

The index lives in memory, one per team and process, built on first use. It is refreshed
lazily: a query on an index older than ``BATON_ASSIST_INDEX_SECONDS`` starts a background
thread that checks the team's latest reply and, if there are new ones, rebuilds while the
old index keeps answering. Measured in ``benchmarks/assist.py`` with
100,000 past messages (build time, query latency, memory).

Reads only: no row is written here.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import unicodedata
from dataclasses import dataclass
from typing import Any

import bm25s
import numpy as np
from django.conf import settings
from django.db import close_old_connections
from django.db.models import Max, Q

from baton.agents.models import Role
from baton.conversations.models import Direction, Message, MessageType

logger = logging.getLogger("baton.assist")

_TOKEN = re.compile(r"\w+", re.UNICODE)
# A match scoring under this share of the best one shares only common words with the query.
RELATIVE_CUTOFF = 0.3
MAX_REPLY_CHARS = 1000


@dataclass(frozen=True)
class Suggestion:
    text: str
    source: str  # "reply" (an earlier answer of the team) | "canned"
    score: float


def tokenize(text: str) -> list[str]:
    """Lower-cased words without accents (customers type "donde" for "dónde")."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(ch for ch in folded if unicodedata.category(ch) != "Mn")
    return _TOKEN.findall(folded)


class BM25Index:
    """BM25 over a list of documents, each carrying a payload (the reply)."""

    def __init__(self, documents: list[str], payloads: list[str]) -> None:
        self.payloads = payloads
        self.size = len(documents)
        self.retriever: Any = None
        if documents:
            retriever = bm25s.BM25()
            retriever.index([tokenize(d) for d in documents], show_progress=False)
            self.retriever = retriever

    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        """The payloads of the ``k`` best documents, best first, best-scored copy of each
        distinct payload only."""
        tokens = tokenize(query)
        if self.retriever is None or not tokens:
            return []
        # bm25s ignores unknown words but fails on a query of nothing but unknown words.
        vocab = self.retriever.vocab_dict
        tokens = [t for t in tokens if t in vocab]
        if not tokens:
            return []
        scores = self.retriever.get_scores(tokens)
        wanted = min(k * 4, len(scores))
        # The best few without sorting every document (argpartition is linear).
        top = np.argpartition(-scores, wanted - 1)[:wanted]
        top = top[np.argsort(-scores[top])]
        seen: set[str] = set()
        found: list[tuple[str, float]] = []
        best = float(scores[top[0]]) if len(top) else 0.0
        for i in top:
            score = float(scores[i])
            if score <= 0 or score < best * RELATIVE_CUTOFF:
                break
            payload = self.payloads[int(i)]
            key = payload.strip().casefold()
            if key in seen:
                continue
            seen.add(key)
            found.append((payload, score))
            if len(found) == k:
                break
        return found


def _of_team(team_id: int | None) -> Q:
    if team_id is None:
        return Q(conversation__team__isnull=True)
    return Q(conversation__team_id=team_id)


def reply_pairs(team_id: int | None, limit: int) -> tuple[list[str], list[str]]:
    """(customer messages, the human reply that followed each) of a team's conversations,
    the latest ``limit`` pairs. Consecutive customer messages form one question ("hi" +
    "where is my order"); a bot's or a template's message is not a reply."""
    rows = (
        Message.objects.filter(
            _of_team(team_id),
            direction__in=(Direction.INBOUND, Direction.OUTBOUND),
            type=MessageType.TEXT,
        )
        .exclude(text="")
        .order_by("-id")
        .values_list("conversation_id", "id", "direction", "text", "author__role")[: limit * 3]
    )
    ordered = sorted(rows.iterator(chunk_size=5000), key=lambda r: (r[0], r[1]))
    questions: list[str] = []
    replies: list[str] = []
    current: int | None = None
    asked: list[str] = []
    for conversation_id, _, direction, text, role in ordered:
        if conversation_id != current:
            current, asked = conversation_id, []
        if direction == Direction.INBOUND:
            asked.append(text)
        elif asked and role != Role.BOT:
            questions.append(" ".join(asked[-3:]))
            replies.append(text[:MAX_REPLY_CHARS])
            asked = []
    return questions[-limit:], replies[-limit:]


def latest_reply_id(team_id: int | None) -> int:
    return (
        Message.objects.filter(
            _of_team(team_id), direction=Direction.OUTBOUND, type=MessageType.TEXT
        ).aggregate(latest=Max("id"))["latest"]
        or 0
    )


@dataclass
class _TeamIndex:
    index: BM25Index
    watermark: int
    checked_at: float
    refreshing: bool = False


class ReplyIndexes:
    """The per-team indexes of one process."""

    def __init__(self) -> None:
        self._indexes: dict[int | None, _TeamIndex] = {}
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._indexes.clear()

    def build(self, team_id: int | None) -> _TeamIndex:
        watermark = latest_reply_id(team_id)
        questions, replies = reply_pairs(team_id, settings.BATON_ASSIST_INDEX_PAIRS)
        entry = _TeamIndex(BM25Index(questions, replies), watermark, time.monotonic())
        with self._lock:
            self._indexes[team_id] = entry
        return entry

    def get(self, team_id: int | None) -> BM25Index:
        """The team's index: built now on first use (seconds for 100,000 pairs: the chips
        load after the pane, so nobody waits for the page); when older than the refresh
        interval, a background thread checks for new replies and rebuilds aside."""
        entry = self._indexes.get(team_id)
        if entry is None:
            return self.build(team_id).index
        if (
            not entry.refreshing
            and time.monotonic() - entry.checked_at > settings.BATON_ASSIST_INDEX_SECONDS
        ):
            entry.refreshing = True
            threading.Thread(
                target=self._refresh, args=(team_id, entry), name="assist-index", daemon=True
            ).start()
        return entry.index

    def _refresh(self, team_id: int | None, entry: _TeamIndex) -> None:
        try:
            if latest_reply_id(team_id) != entry.watermark:
                self.build(team_id)
        except Exception:
            logger.exception("rebuilding the reply index of team %s failed", team_id)
        finally:
            entry.checked_at = time.monotonic()
            entry.refreshing = False
            close_old_connections()


indexes = ReplyIndexes()


def rank_canned(query: str, canned: list[tuple[str, str]], k: int) -> list[tuple[str, float]]:
    """Canned responses (title, text) ranked against the query by BM25 over their words."""
    if not canned:
        return []
    index = BM25Index([f"{title} {text}" for title, text in canned], [t for _, t in canned])
    return index.search(query, k)


def suggest(
    query: str,
    team_id: int | None,
    canned: list[tuple[str, str]],
    *,
    include_replies: bool,
    k: int = 3,
) -> list[Suggestion]:
    """Up to ``k`` suggestions for ``query``: the team's earlier replies first, canned
    responses to fill (or to win when they score higher)."""
    found: list[Suggestion] = []
    if include_replies:
        found += [Suggestion(t, "reply", s) for t, s in indexes.get(team_id).search(query, k)]
    found += [Suggestion(t, "canned", s) for t, s in rank_canned(query, canned, k)]
    found.sort(key=lambda s: -s.score)
    unique: list[Suggestion] = []
    seen: set[str] = set()
    for suggestion in found:
        key = suggestion.text.strip().casefold()
        if key not in seen:
            seen.add(key)
            unique.append(suggestion)
    return unique[:k]
