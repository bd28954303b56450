"""Notifications: templates per event and language, channels as plugins (e-mail, SMS, in-app inbox,
webhooks to agency systems), delivery after commit with retries."""
