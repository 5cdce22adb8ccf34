"""The intent handlers of the dialogue, one layer per module (findings -> lesions -> relations -> profiles)."""
