"""The demo at the edge: ``baton demo`` and the team, rules and catalogue it seeds.

It sits above every domain app (it seeds through their actions), so nothing imports it.
"""
