"""The Slack surface: the Bolt app, payload parsing, Block Kit renderers, the notifier, the directory."""
