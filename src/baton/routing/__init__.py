"""Routing: rules that decide a conversation's team and priority, and the assignment engine
that hands waiting conversations to available agents (presence, shifts, capacity)."""
