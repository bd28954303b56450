"""A local stand-in for the national payment platform: its own process, its own SQLite state, real HTTP.

``motcua paysandbox --port 8001`` (or ``python -m motcua.payments.sandbox``) serves the protocol of
``motcua.payments.gateways.protocol``: transaction creation, a hosted payment page in Vietnamese, signed
server-to-server notifications retried until Motcua answers, a signed browser return, status queries, refunds
and the day's statement for reconciliation, plus ``/_control`` for tests that need it to misbehave.
It never imports Django: it is the other side of the wire.
"""
