"""Delivery of signed packages between agencies and between nodes: the message on the wire, signed node
requests, the HTTP client, the durable outbox, the receiving side and the node-to-node endpoints."""
