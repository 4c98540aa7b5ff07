"""Service levels for conversations: policies, clocks, warnings, breaches (issue #11).

``clock`` (pure) says what each metric's state is; ``models`` keeps the deadlines as indexed
columns; ``actions`` keeps them up to date inside the transaction of every change that moves
them (``reactions`` subscribes to the domain's change records) and the scan records each
warning and breach exactly once.
"""
