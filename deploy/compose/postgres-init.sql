-- PostgreSQL's first start
-- Rendered by `govbus deploy render --target compose --at 2026-12-01T00:00:00+00:00` from the catalogue and the agreements:
-- do not edit, render again (docs/deploy.md).
-- The registry's own database, beside the pools' (govbus).
CREATE DATABASE registry OWNER govbus;
