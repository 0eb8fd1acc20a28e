from tap_openai_audit.redact import redact


def test_keys_emails_and_ips_are_removed() -> None:
    text = (
        "Incorrect API key provided: sk-admin***abcd. User alice.smith@example.com "
        "from 203.0.113.7 and 2001:db8::42, Authorization: Bearer sk-admin-real"
    )
    cleaned = redact(text)
    for secret in ("sk-admin", "alice.smith", "example.com", "203.0.113.7", "2001:db8::42"):
        assert secret not in cleaned
    assert "[key]" in cleaned
    assert "[email]" in cleaned
    assert "[ip]" in cleaned


def test_clock_times_and_ids_are_left_alone() -> None:
    assert redact("at 12:30:45 in proj_abc123") == "at 12:30:45 in proj_abc123"


def test_long_bodies_are_cut_after_stripping() -> None:
    cleaned = redact("x" * 1000 + " bob@example.com", limit=50)
    assert cleaned.startswith("x" * 50)
    assert "more characters cut" in cleaned
    assert len(cleaned) < 100


def test_hidden_values_are_masked_longest_first() -> None:
    text = "Invalid 'project_ids[0]': 'proj_a_b' (also 'proj_a') is not a project."
    assert redact(text, hide=["proj_a", "proj_a_b", ""]) == (
        "Invalid 'project_ids[0]': '[filter]' (also '[filter]') is not a project."
    )
