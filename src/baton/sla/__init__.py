"""The sla app starts here: service-level clocks for conversations (issue #11).

For now only the pure clock (``baton.sla.clock``): no models, no app config yet.
"""
