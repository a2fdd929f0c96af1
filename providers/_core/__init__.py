"""The core layer: errors, the context a command runs in, files, auth.json, settings, the lock,
key values, the credential chain and token refresh. It imports nothing outside itself."""
