"""Assist benchmark: intent accuracy per language, classification latency, model memory, and
reply suggestions over 100,000 past messages.

1. Trains on the training part of the seed set's fixed held-out split and prints accuracy
   and macro-F1 on the held-out part, overall and per language, with the confidence
   threshold applied (what users get) and without it, and the most frequent confusions.
2. Times one classification (the routing fact's path: intent only; the API's path: intent
   and language) over the held-out sentences: p50 / p95 / p99.
3. Model memory: the file's size, and the Python heap it takes once loaded (tracemalloc).
4. Seeds a scratch database (SQLite in a temporary directory, or the PostgreSQL database
   given with --database, which it empties first) with N past messages of one team
   (customer question, agent reply), then times the index build and
   ``assist.queries.get_suggestions`` (database reads included) for new questions.

    .venv/bin/python benchmarks/assist.py
    .venv/bin/python benchmarks/assist.py --messages 100000 --queries 300
    .venv/bin/python benchmarks/assist.py --database postgres://postgres@127.0.0.1:5432/bench
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import tempfile
import time
import tracemalloc
from datetime import timedelta


def percentiles(timings: list[float]) -> str:
    timings = sorted(timings)

    def at(p: float) -> float:
        return timings[min(len(timings) - 1, int(p * len(timings)))]

    return (
        f"p50 {statistics.median(timings):.2f} ms · p95 {at(0.95):.2f} ms · p99 {at(0.99):.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--database", default="", help="PostgreSQL URL (emptied!)")
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="baton-bench-assist-")
    os.environ["BATON_DATA_DIR"] = data_dir
    if args.database:
        os.environ["DATABASE_URL"] = args.database
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "baton.settings")
    import django

    django.setup()
    from django.conf import settings

    measure_model(settings.BATON_ASSIST_THRESHOLD)
    measure_suggestions(args)


def measure_model(threshold: float) -> None:
    from baton.assist.classifier import classify, model_path, read_model, train_model
    from baton.assist.intents import load_seed, predict, score, split, train

    examples = load_seed()
    training, held_out = split(examples)
    print(
        f"==> Seed set: {len(examples)} sentences; training {len(training)}, "
        f"held out {len(held_out)} (fixed stratified split)",
        flush=True,
    )
    started = time.perf_counter()
    pipeline = train(training)
    print(f"    training took {time.perf_counter() - started:.1f} s", flush=True)
    truth = [e.intent for e in held_out]
    for label, cut in ((f"threshold {threshold}", threshold), ("no threshold", 0.0)):
        guessed = [predict(pipeline, e.text, cut)[0] for e in held_out]
        evaluation = score(held_out, truth, guessed)
        print(
            f"==> Held-out, {label}: accuracy {evaluation.accuracy:.3f}, "
            f"macro-F1 {evaluation.macro_f1:.3f}"
        )
        for language, row in evaluation.per_language.items():
            print(
                f"    {language}: accuracy {row['accuracy']:.3f}, macro-F1 "
                f"{row['macro_f1']:.3f} ({row['support']} sentences)"
            )
        if cut:
            print("    most frequent confusions (true → predicted: count):")
            for true, predicted, n in evaluation.confusions[:12]:
                print(f"      {true} → {predicted}: {n}")
            weakest = sorted(evaluation.per_intent.items(), key=lambda kv: kv[1]["f1"])[:4]
            print(
                "    weakest intents (F1): "
                + ", ".join(f"{intent} {row['f1']:.2f}" for intent, row in weakest)
            )

    print("==> The shipped model (all sentences), trained and stored", flush=True)
    started = time.perf_counter()
    train_model()
    print(f"    train + held-out evaluation + store: {time.perf_counter() - started:.1f} s")
    size = model_path().stat().st_size
    gc.collect()
    tracemalloc.start()
    from baton.assist import classifier

    classifier._loaded.clear()
    model = read_model()
    assert model is not None
    heap, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"==> Model memory: file {size / 1024:.0f} KiB, {heap / 1024 / 1024:.1f} MiB loaded")

    texts = [e.text for e in held_out] * 3
    for text in texts[:20]:
        classify(text)  # warm up (langid decodes its model on first use)
    from baton.assist.classifier import classify_intent

    timings = []
    for text in texts:
        started = time.perf_counter()
        classify_intent(text, model)
        timings.append((time.perf_counter() - started) * 1000)
    print(f"==> Intent only (routing fact at creation), {len(texts)} calls: {percentiles(timings)}")
    timings = []
    for text in texts:
        started = time.perf_counter()
        classify(text)
        timings.append((time.perf_counter() - started) * 1000)
    print(f"==> Intent + language (API, task), {len(texts)} calls: {percentiles(timings)}")


REPLIES = {
    "order_status": "Your order is on its way, here is the tracking link: https://t.example/{n}",
    "cancel_order": "Done, order {n} is cancelled and you will not be charged.",
    "change_order": "I changed order {n} for you, anything else?",
    "refund_return": "Your refund for order {n} was issued, it takes 3-5 days to show.",
    "shipping_delivery": "Delivery takes 2-4 working days; order {n} left our warehouse today.",
    "product_question": "Yes, it comes in black and blue, sizes S to XL.",
    "payment_billing": "I see the double charge on order {n}: the second one is refunded.",
    "complaint": "I am really sorry about this. I am taking care of it personally.",
    "technical_issue": "Please update the app to the latest version and try again.",
    "human_agent": "Hi, I am Ana from the team, how can I help?",
    "greeting": "Hello! How can we help you today?",
    "thanks_ack": "You're welcome, have a great day!",
    "opening_hours": "We are open Monday to Saturday, 9:00-19:00.",
    "other": "Thanks for your message, I'll pass it to the right team.",
}


def measure_suggestions(args) -> None:
    from django.conf import settings
    from django.core.management import call_command
    from django.utils import timezone

    from baton.agents.actions import do_create_user
    from baton.agents.models import Team
    from baton.assist.intents import load_seed
    from baton.assist.queries import get_suggestions
    from baton.assist.suggestions import indexes
    from baton.conversations.models import (
        Contact,
        Conversation,
        ConversationStatus,
        Direction,
        Message,
    )
    from baton.whatsapp.models import Inbox

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    print(f"==> Database: {engine} ({args.database or settings.DATA_DIR})", flush=True)
    if args.database:
        call_command("flush", interactive=False, verbosity=0)
    call_command("migrate", verbosity=0)
    team = Team.objects.get_or_create(name="Bench")[0]
    agent = do_create_user("bench-agent", "agent", team_name="Bench", password="pw")
    inbox = Inbox.objects.create(name="Bench", phone_number_id="100000000000009", access_token="x")
    rng = random.Random(7)
    seed = load_seed()
    pairs = args.messages // 2
    print(f"==> Seeding {pairs * 2:,} past messages ({pairs:,} question/reply pairs)", flush=True)
    started = time.perf_counter()
    at = timezone.now() - timedelta(days=30)
    batch = 2000
    for first in range(0, pairs, batch):
        count = min(batch, pairs - first)
        contacts = Contact.objects.bulk_create(
            [Contact(wa_id=f"49{first + i:010d}") for i in range(count)]
        )
        conversations = Conversation.objects.bulk_create(
            [
                Conversation(inbox=inbox, contact=c, team=team, status=ConversationStatus.RESOLVED)
                for c in contacts
            ]
        )
        messages = []
        for i, conversation in enumerate(conversations):
            example = rng.choice(seed)
            n = rng.randint(1000, 99999)
            question = f"{example.text} {rng.choice(['', str(n), 'pls', '!!', '🙏'])}".strip()
            messages.append(
                Message(
                    conversation=conversation,
                    direction=Direction.INBOUND,
                    text=question,
                    timestamp=at,
                )
            )
            messages.append(
                Message(
                    conversation=conversation,
                    direction=Direction.OUTBOUND,
                    text=REPLIES[example.intent].format(n=n) + f" ({first + i})",
                    author=agent,
                    timestamp=at + timedelta(minutes=1),
                )
            )
        Message.objects.bulk_create(messages)
        print(f"    {first + count:,}/{pairs:,}", end="\r", flush=True)
    print(f"    seeded in {time.perf_counter() - started:.0f} s          ")

    started = time.perf_counter()
    indexes.build(team.pk)
    built = time.perf_counter() - started
    # Memory from a second build under tracemalloc (which slows it down several times).
    indexes.clear()
    gc.collect()
    tracemalloc.start()
    indexes.build(team.pk)
    heap, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    size = indexes._indexes[team.pk].index.size
    from baton.assist.suggestions import latest_reply_id

    started = time.perf_counter()
    latest_reply_id(team.pk)
    check = (time.perf_counter() - started) * 1000
    print(
        f"==> Index build (read pairs + BM25): {built:.2f} s for {size:,} pairs, "
        f"{heap / 1024 / 1024:.0f} MiB; the new-replies check (background thread) {check:.0f} ms"
    )

    asking = Conversation.objects.create(
        inbox=inbox, contact=Contact.objects.create(wa_id="4900000000000"), team=team
    )
    question = Message.objects.create(
        conversation=asking, direction=Direction.INBOUND, text="", timestamp=timezone.now()
    )
    questions = [e.text for e in rng.sample(seed, min(len(seed), args.queries))]
    timings = []
    found = 0
    for text in questions:
        Message.objects.filter(pk=question.pk).update(text=text)
        started = time.perf_counter()
        items = get_suggestions(agent, asking.pk)
        timings.append((time.perf_counter() - started) * 1000)
        found += bool(items)
    print(
        f"==> get_suggestions with {size:,} pairs, {len(questions)} questions: "
        f"{percentiles(timings)}; {found} of {len(questions)} got suggestions"
    )


if __name__ == "__main__":
    main()
