import logging

from connectors.redaction import LogRedaction, Redactor, redact_value


def test_longest_secret_wins_and_short_values_are_not_secrets():
    r = Redactor.of(["abcd", "abcdefgh", "x", ""])
    assert r("key=abcdefgh and abcd, x") == "key=[redacted] and [redacted], x"


def test_nested_values_are_redacted():
    r = Redactor.of(["hunter22"])
    assert redact_value({"a": ["pw hunter22", 3]}, r) == {"a": ["pw [redacted]", 3]}


def test_log_records_of_watched_loggers_are_scrubbed(caplog):
    caplog.set_level(logging.DEBUG)
    redaction = LogRedaction(Redactor.of(["hunter22"]))
    redaction.install()
    try:
        logging.getLogger("mcp.client.stdio").warning("bad line %s", "token hunter22")
        try:
            raise ValueError("boom hunter22")
        except ValueError:
            logging.getLogger("connectors.pool").exception("failed")
    finally:
        redaction.uninstall()
    assert "hunter22" not in caplog.text
    assert "bad line token [redacted]" in caplog.text
    assert "ValueError: boom [redacted]" in caplog.text
