"""The console's routes, one module per area; each ``register(router, console)`` adds its
handlers. ``console.build_console`` calls them in a fixed order (a static path such as
``/deployments/rows`` must come before ``/deployments/{deployment_id}``)."""
