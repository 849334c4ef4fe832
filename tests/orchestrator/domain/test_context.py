"""Earlier thread messages for a mention partway down a thread: pure rules, no services."""

from __future__ import annotations

from orchestrator.domain.context import ThreadPost, earlier_messages


def test_earlier_messages_list_author_text_and_files_oldest_first() -> None:
    posts = [
        ThreadPost(author="U0CAROL", text="The deploy failed"),
        ThreadPost(author="U0DAVE", text="Logs\nattached", files=("deploy.log",)),
    ]
    text = earlier_messages(posts)
    assert text.index("<@U0CAROL>: The deploy failed") < text.index("<@U0DAVE>: Logs attached")
    assert "[files: deploy.log]" in text and "left out" not in text


def test_the_oldest_messages_are_cut_first_and_the_cut_is_said() -> None:
    posts = [ThreadPost(author="U0A", text=f"message {i} " + "x" * 100) for i in range(50)]
    text = earlier_messages(posts, budget_chars=1_000)
    assert len(text) < 1_200
    assert "message 49" in text and "message 0 " not in text
    assert "older messages left out" in text


def test_no_earlier_messages_means_no_context() -> None:
    assert earlier_messages([]) == ""
