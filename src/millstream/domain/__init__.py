"""The domain: entities, value objects, state machines and errors. Pure Python, no I/O."""
