"""Model backends behind the grounded dialogue (embedded, MedGemma, OpenAI-compatible)."""
