"""The web frontend: a live dashboard, monitor pages, monitor forms and the incident list."""
