"""Image analysis and grounded dialogue for frontal chest radiographs."""
