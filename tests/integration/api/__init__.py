"""API integration tests: the app over fake services (httpx ASGITransport, real SDK)."""
