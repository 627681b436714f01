"""Grafana dashboards as code (grafana-foundation-sdk): boards.py, role_boards.py, render.py."""
