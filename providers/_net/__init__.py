"""The network layer: the urllib helper (whole responses and streams), OAuth, the loopback
callback server and the device-code wait."""
