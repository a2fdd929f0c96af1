"""What the user's files say: settings.json and models.json / models.toml."""
