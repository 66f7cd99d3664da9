"""The web console (server-rendered Jinja2 + htmx) over control/ services."""
