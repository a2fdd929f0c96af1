"""Floor 1, the foundation: errors, the context a command runs in, files and atomic writes, the
lock, text and masking, prompts, the key form and the version. No domain knowledge; it imports
nothing outside itself."""
