"""Chest radiograph sign vocabulary, anatomy vocabulary and scorecard profiles."""
