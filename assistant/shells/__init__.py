"""The ways in: the command line, the HTTP API and the chat, each thin over the app."""
