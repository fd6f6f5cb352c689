"""The device side of sync: outbox, push/pull, blob upload, tokens (docs/sync-protocol.md)."""
