"""HTTP APIs: the app factory (``app.create_api``) and one sub-package per dialect."""
