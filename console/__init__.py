"""The console at /console: server-rendered pages (Jinja2 + htmx) for marketers and developers.

It calls the admin API in process (console.api_client), so every rule, check and message is the
API's own; `app.py` mounts it with `console.routes.mount()`.
"""
