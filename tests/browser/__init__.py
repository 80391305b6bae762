"""Tests that open the generated pages in a real browser (headless Chromium)."""
