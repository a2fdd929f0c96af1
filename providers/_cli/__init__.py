"""The commands' bodies and renderers, called by atomic.py."""
