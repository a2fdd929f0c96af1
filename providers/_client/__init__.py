"""The client layer: the one pipeline every front door (ask, chat, status --check, the gateway,
scripts through `import atomic`) talks to models through: route, credentials, authorize, the
exchange loop with its policy, the relay of same-family bodies, and fast mode."""
