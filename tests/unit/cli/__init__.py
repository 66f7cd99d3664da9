"""Tests of the millstream CLI against an in-memory native API."""
