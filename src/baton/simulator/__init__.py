"""Baton's built-in WhatsApp simulator: a fake Graph API plus simulated customers.

It runs as its own process (``baton simulate``) or in a thread (tests, ``baton demo``), and
talks to Baton only over HTTP, exactly like Meta: signed webhooks out, Graph API calls in.
Faithful to shared/whatsapp-samples/PROTOCOL.md §11 (compact JSON with \\uXXXX escapes,
signatures over the exact bytes, batches, redeliveries, reordered statuses, the token check,
unknown numbers, the 24-hour rule as a later failed status, pair and throughput limits,
templates, media upload and download).
"""
