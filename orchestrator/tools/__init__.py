"""The tools an agent may call: core tools, connector tools, the catalogue of a channel."""
