"""One module per command family; each exposes a ``register(app)`` function."""
