"""HTML pages of notifications: the inbox and the choice of channels (everyone signed in), and the webhook
subscriptions of the organisations an agency administrator manages (``views.webhooks``)."""
