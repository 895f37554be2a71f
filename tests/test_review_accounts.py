"""The review app for a team, in real headless Chromium against the real server over a copy of a
real run's registry with two accounts: signing in, a viewer's merge refused (403), an editor's
merge recorded with their name and shown in the history, a POST without a session refused, and
five wrong passwords slowed down. Then, over plain HTTP: the accounts command, the session
cookie's attributes, and the refusal to listen beyond this machine without accounts."""
from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from conftest import free_port
from influencer_kit.registry.store import Registry
from influencer_kit.review.throttle import delay_s
from support.browser import WAIT_S, chromium

pytestmark = pytest.mark.slow

EDITOR, VIEWER = ("ann", "editor password"), ("bob", "viewer password")
POST_MERGE = """
const done = arguments[arguments.length - 1];
const form = new URLSearchParams({csrf: arguments[0], version: arguments[1], person: "influencer_001"});
form.append("person", "influencer_007");
fetch("/merge", {method: "POST", body: form, redirect: "manual"})
  .then(r => r.text().then(text => done([r.status, text])));
"""
SIGN_IN_FETCH = """
const done = arguments[arguments.length - 1];
const form = new URLSearchParams({csrf: arguments[0], name: arguments[1], password: arguments[2], next: "/"});
fetch("/sign-in", {method: "POST", body: form, redirect: "manual"})
  .then(r => done([r.status, r.headers.get("Retry-After")]));
"""


def users_cli(registry: Path, *args: str, password: str = "") -> subprocess.CompletedProcess:
    """`python -m influencer_kit.review users ARGS --registry REGISTRY`, the password piped in."""
    return subprocess.run([sys.executable, "-m", "influencer_kit.review", "users", *args, "--registry", str(registry)],
                          input=password + "\n", capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def team(review_run, review_server_module, tmp_path_factory) -> tuple[str, Path]:
    """The app over a copy of the run's registry with an editor and a viewer; its URL and registry."""
    work = tmp_path_factory.mktemp("team")
    registry = work / "registry.db"
    shutil.copy(review_run / "registry.pristine.db", registry)
    for (name, password), role in ((EDITOR, "editor"), (VIEWER, "viewer")):
        assert users_cli(registry, "add", name, "--role", role, password=password).returncode == 0
    url = review_server_module(["--run", str(review_run / "run.pristine"), "--registry", str(registry)], work)
    return url, registry


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    driver = chromium(tmp_path_factory.mktemp("chromium"))
    driver.set_script_timeout(WAIT_S)
    yield driver
    driver.quit()


def sign_in(browser, url: str, name: str, password: str) -> str:
    """Fill the sign-in form and send it; the page's text after."""
    from selenium.webdriver.common.by import By

    from selenium.webdriver.support import expected_conditions as seen
    from selenium.webdriver.support.ui import WebDriverWait

    if "/sign-in" not in browser.current_url:
        browser.get(url + "/sign-in")
    box = browser.find_element(By.ID, "name")
    box.clear()
    box.send_keys(name)
    browser.find_element(By.ID, "password").send_keys(password)
    browser.find_element(By.ID, "sign-in-button").click()
    WebDriverWait(browser, WAIT_S).until(seen.staleness_of(box))  # the answer has replaced the form
    return wait_for(browser, "#sign-in-error, #user")


def wait_for(browser, css: str) -> str:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as seen
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, WAIT_S).until(seen.presence_of_element_located((By.CSS_SELECTOR, css)))
    return browser.find_element(By.TAG_NAME, "body").text


def csrf(browser) -> str:
    return browser.execute_script("return document.querySelector('input[name=csrf]').value")


def test_every_page_asks_for_sign_in_and_a_viewer_cannot_merge(team, browser):
    from selenium.webdriver.common.by import By

    url, registry = team
    browser.get(url + "/pairs")
    assert browser.current_url == url + "/sign-in?next=%2Fpairs"  # no page without signing in
    text = sign_in(browser, url, *VIEWER)
    assert browser.current_url == url + "/pairs"  # back to the page asked for
    assert "bob viewer" in text and "Same person?" in text
    assert browser.find_elements(By.CSS_SELECTOR, "button.yes, #apply") == []  # nothing to change with
    status, page = browser.execute_async_script(POST_MERGE, csrf(browser), "0")
    assert status == 403 and "bob is a viewer: viewers see everything but cannot change anything." in page
    with Registry(registry) as opened:
        assert opened.corrections() == [] and opened.person("influencer_007").id == "influencer_007"
    browser.find_element(By.ID, "sign-out").click()
    wait_for(browser, "#sign-in")
    assert browser.get_cookies() == []


def test_an_editors_merge_is_recorded_with_their_name(team, browser):
    from selenium.webdriver.common.by import By

    url, registry = team
    browser.get(url + "/")
    assert "ann editor" in sign_in(browser, url, *EDITOR)
    browser.find_element(By.CSS_SELECTOR, "#card-influencer_003 input[name=person]").click()
    browser.find_element(By.CSS_SELECTOR, "#card-influencer_006 input[name=person]").click()
    browser.find_element(By.ID, "merge").click()
    assert "merge influencer_006 into influencer_003" in wait_for(browser, "#said")
    browser.get(url + "/history")
    row = browser.find_element(By.ID, "correction-1")
    assert row.find_element(By.CSS_SELECTOR, ".author").text == "ann"
    assert "merge influencer_006 into influencer_003" in row.text
    with Registry(registry) as opened:
        assert [(c.action, c.author) for c in opened.corrections()] == [("merge", "ann")]
    token = csrf(browser)
    browser.find_element(By.ID, "sign-out").click()
    wait_for(browser, "#sign-in")
    status, page = browser.execute_async_script(POST_MERGE, token, "1")  # the old token, no session
    assert status == 403 and "Sign in first" in page
    with Registry(registry) as opened:
        assert len(opened.corrections()) == 1


def test_five_wrong_passwords_are_slowed_down(team, browser):
    """3 failures are free; then 1 s, 2 s, 4 s before the next attempt (docs/review.md)."""
    url, _ = team
    browser.get(url + "/sign-in")
    for attempt, wait in enumerate([0, 0, 0, 1, 2], start=1):
        time.sleep(wait + 0.3 if wait else 0)
        assert "Wrong name or password." in sign_in(browser, url, EDITOR[0], f"wrong {attempt}")
    status, retry_after = browser.execute_async_script(SIGN_IN_FETCH, csrf(browser), *EDITOR)
    refused_at = time.monotonic()
    assert (status, retry_after) == (429, "4")  # even the right password waits
    assert "Too many failed sign-ins for this name or from this address: try again in" in sign_in(browser, url, *EDITOR)
    time.sleep(max(0.0, refused_at + 4.2 - time.monotonic()))
    assert "ann editor" in sign_in(browser, url, *EDITOR)


def test_the_delays_after_each_failure():
    assert [delay_s(n) for n in range(1, 12)] == [0, 0, 1, 2, 4, 8, 16, 32, 64, 128, 256]
    assert delay_s(12) == delay_s(40) == 300


def test_accounts_from_the_command_line(review_run, tmp_path):
    registry = tmp_path / "registry.db"
    shutil.copy(review_run / "registry.pristine.db", registry)
    assert users_cli(registry, "list").stdout == "no accounts: the app needs no sign-in\n"
    added = users_cli(registry, "add", "cleo", "--role", "viewer", password="long enough")
    assert (added.returncode, added.stdout) == (0, "added cleo (viewer)\n")
    again = users_cli(registry, "add", "cleo", "--role", "editor", password="long enough")
    assert again.returncode == 2 and again.stderr == f"error: there is a user 'cleo' already in {registry}\n"
    short = users_cli(registry, "add", "dan", "--role", "editor", password="short")
    assert short.returncode == 2 and short.stderr == "error: the password must have at least 8 characters\n"
    assert users_cli(registry, "list").stdout == "cleo                    viewer\n"
    with Registry(registry) as opened:
        assert opened.user("cleo").password_hash.startswith("$argon2id$")
    assert users_cli(registry, "remove", "cleo").stdout == "removed cleo\n"
    gone = users_cli(registry, "remove", "cleo")
    assert gone.returncode == 2 and gone.stderr == f"error: no user 'cleo' in {registry}\n"


def test_the_session_cookie_is_httponly_samesite_and_secure_over_https(review_run, review_server, tmp_path):
    registry = tmp_path / "registry.db"
    shutil.copy(review_run / "registry.pristine.db", registry)
    users_cli(registry, "add", *EDITOR[:1], "--role", "editor", password=EDITOR[1])
    url = review_server(["--run", str(review_run / "run.pristine"), "--registry", str(registry)], tmp_path)
    assert requests.post(url + "/rename/influencer_002", data={"name": "Eve"}).status_code == 403  # no session
    page = requests.get(url + "/sign-in").text
    token = page.split('name="csrf" value="')[1].split('"')[0]
    form = {"csrf": token, "name": EDITOR[0], "password": EDITOR[1]}
    plain = requests.post(url + "/sign-in", data=form, allow_redirects=False)
    assert plain.status_code == 303
    assert plain.headers["set-cookie"].endswith("; HttpOnly; Max-Age=43200; Path=/; SameSite=lax")
    proxied = requests.post(url + "/sign-in", data=form, allow_redirects=False, headers={"X-Forwarded-Proto": "https"})
    assert proxied.headers["set-cookie"].endswith("; HttpOnly; Max-Age=43200; Path=/; SameSite=lax; Secure")


def test_beyond_this_machine_without_accounts_is_refused(review_run, tmp_path):
    registry = tmp_path / "registry.db"
    shutil.copy(review_run / "registry.pristine.db", registry)
    done = subprocess.run([sys.executable, "-m", "influencer_kit.review", "--run", str(review_run / "run.pristine"),
                           "--registry", str(registry), "--host", "0.0.0.0", "--port", str(free_port())],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == ("error: --host 0.0.0.0 would let anyone who reaches this machine edit the registry: add "
                           "accounts first (python -m influencer_kit.review users add NAME --role editor), or listen "
                           "on 127.0.0.1\n")


def test_beyond_this_machine_with_accounts_starts_and_warns_without_https(review_run, tmp_path):
    registry = tmp_path / "registry.db"
    shutil.copy(review_run / "registry.pristine.db", registry)
    users_cli(registry, "add", *VIEWER[:1], "--role", "viewer", password=VIEWER[1])
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "influencer_kit.review", "--run", str(review_run / "run.pristine"),
                             "--registry", str(registry), "--host", "0.0.0.0", "--port", str(port)],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().startswith(f"review app: http://0.0.0.0:{port}/")
        assert proc.stderr.readline() == ("warning: listening on 0.0.0.0 without --https: passwords and sessions "
                                          "cross the network unencrypted unless a proxy in front serves HTTPS\n")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
