"""Chat logins: with VENDORINTEL_CHAT_USERS set, the chat in a real browser asks for a user
name and password first; a wrong password is turned away, the right one opens the chat."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.core.passwords import hash_password, verify_password
from assistant.core.settings import Settings
from assistant.shells.cli import app
from tests.conftest import SAMPLES, serving
from tests.test_chat_browser import CHROMIUM, CHROMIUM_FLAGS

PASSWORD = "correct horse battery staple"


def test_hash_password_prints_a_hash_that_verifies_and_settings_refuse_plain_passwords() -> None:
    result = CliRunner().invoke(app, ["hash-password"], input=f"{PASSWORD}\n{PASSWORD}\n")
    printed = result.output.strip().splitlines()[-1]
    assert result.exit_code == 0 and printed.startswith("pbkdf2_sha256$600000$")
    assert PASSWORD not in result.output.replace("Password", "")
    assert verify_password(PASSWORD, printed) and not verify_password("wrong", printed)

    with pytest.raises(ValueError, match="vendorintel hash-password"):
        Settings(chat_users={"ada": PASSWORD}, _env_file=None)  # type: ignore[call-arg]
    configured = Settings(chat_users={"ada": printed}, _env_file=None)  # type: ignore[call-arg]
    assert PASSWORD not in repr(configured) and printed not in repr(configured)


def test_chat_users_can_be_kept_in_a_file_of_name_hash_lines(tmp_path: Path) -> None:
    made = CliRunner().invoke(
        app, ["hash-password", "--user", "ada"], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    line = made.output.strip().splitlines()[-1]
    assert made.exit_code == 0 and line.startswith("ada:pbkdf2_sha256$600000$")
    users = tmp_path / "chat-users"
    users.write_text(f"# who may use the chat\n{line}\n\n")
    from_env = {"bob": line.removeprefix("ada:")}

    settings = Settings(chat_users_file=users, chat_users=from_env, _env_file=None)  # type: ignore[call-arg]

    assert set(settings.serving.chat_users) == {
        "ada",
        "bob",
    }  # the file's users join the variable's
    assert verify_password(PASSWORD, settings.serving.chat_users["ada"].get_secret_value())
    users.write_text(f"{line}\ncyd:{PASSWORD}\n")
    with pytest.raises(ValueError, match=r"chat-users, line 2: expected 'name:hash'"):
        Settings(chat_users_file=users, _env_file=None)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="cannot read the chat users file"):
        Settings(chat_users_file=tmp_path / "missing", _env_file=None)  # type: ignore[call-arg]


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's Chromium is not installed")
def test_the_chat_asks_for_a_login_and_admits_only_the_right_password(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    shutil.copytree(SAMPLES / "contracts", tmp_path / "inbox" / "contracts")
    users = json.dumps({"ada": hash_password(PASSWORD, iterations=10_000)})
    with (
        serving(tmp_path, documents=2, env={"VENDORINTEL_CHAT_USERS": users}) as served,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS[1:]
        )
        page = browser.new_page()
        page.set_default_timeout(60_000)
        page.goto(served.url + "/")

        page.get_by_text("Sign in to vendorintel").wait_for()
        page.locator("#email").fill("ada")
        page.locator("#password").fill("not the password")
        page.get_by_role("button", name="Sign In").click()
        page.get_by_text("Sign in failed: check the user name and password.").wait_for()
        assert page.locator("#chat-input").count() == 0

        page.locator("#password").fill(PASSWORD)
        page.get_by_role("button", name="Sign In").click()
        page.locator("#chat-settings-open-modal").wait_for()
        page.locator("#chat-input").fill("What uptime does Alibaba Cloud commit to for qwen-max?")
        page.locator("#chat-submit").click()
        page.locator(".ai-message").filter(has_text="99.9%").last.wait_for()
        browser.close()

    secret = served.data_dir / "chat-session-secret"
    assert secret.stat().st_mode & 0o777 == 0o600
