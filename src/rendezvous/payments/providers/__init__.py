"""Payment providers: one small interface (base.py), one module per provider."""
