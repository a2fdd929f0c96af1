"""The client layer: how a request with a credential is addressed and authorized, and fast mode.
Every front door (ask, chat, status --check) talks to models through it."""
