"""The audit store: audit.deliveries, hash-chained, with a verifier and who-received queries."""
