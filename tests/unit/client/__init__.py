"""Tests of millstream.client."""
