"""Where provider rows come from beyond the built-in table of providers/__init__.py: custom
providers, extensions, and the hook contract extensions are held to."""
