"""Consumers of the calls' timelines: the outbox and live streams (hub),
webhook delivery (webhooks). They depend on core; core knows nothing of them."""
