"""The REST API's shared parts: auth, per-user scoping, parsing, paging, throttles, schema.

Each app keeps its own endpoints (monitors/api/, incidents/api/, notifications/api/);
uptime/api/urls.py puts them under /api/v1/.
"""
