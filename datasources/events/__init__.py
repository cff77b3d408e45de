"""The event contract: CloudEvents envelopes, their JSON Schemas, cache invalidation hooks."""
