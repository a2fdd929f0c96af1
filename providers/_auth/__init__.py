"""Credentials: key values, auth.json and its layers, the credential chain, token refresh and JWT
signing. Registry rows come in as arguments; nothing here imports the registry or the wire layer."""
