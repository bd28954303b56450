"""Fees and online payment (thanh toán trực tuyến): fee quotes, payment gateways as plugins, transactions,
callbacks, receipts (biên lai), refunds and reconciliation."""
