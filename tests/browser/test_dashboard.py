"""The dashboard in a real browser: a project, a streamed chat, the BOM drawer filling in,
a version diff, the timeline with a fork, and injected markup that runs nothing."""

from __future__ import annotations

import json
import re
from typing import Any

from playwright.sync_api import expect

from persistence.store import ArtifactStore

from .conftest import Dashboard
from .support import api, shot

TURN_TIMEOUT_MS = 90_000
IDEA = (
    "I want to build a soil-moisture monitor on an ESP32 that waters my plants when the soil "
    "gets dry."
)


def send(page: Any, message: str) -> Any:
    """Type a message, press Enter, and wait for the reply; returns the new turn."""
    turns = page.locator("article.live-turn")
    before = turns.count()
    page.fill("#message", message)
    page.press("#message", "Enter")
    turn = turns.nth(before)
    expect(turn.locator(".msg-agent .msg-text.md")).to_be_visible(timeout=TURN_TIMEOUT_MS)
    return turn


def watch_streaming(page: Any) -> None:
    """Count how often the streaming reply grows, to prove it arrives in pieces."""
    page.evaluate(
        """() => {
          window.__growth = 0;
          new MutationObserver((records) => {
            for (const r of records) {
              const el = r.target.nodeType === 3 ? r.target.parentElement : r.target;
              if (el && el.closest && el.closest('.msg-text.streaming')) window.__growth++;
            }
          }).observe(document.getElementById('chat-log'),
                     {subtree: true, childList: true, characterData: true});
        }"""
    )


def open_drawer(page: Any, artifact_type: str) -> None:
    drawer = page.locator(f"#drawer-{artifact_type}")
    if drawer.get_attribute("open") is None:
        drawer.locator("> summary").click()
    expect(drawer).to_have_attribute("open", "")


def prepare_parts(dashboard: Dashboard, project: str) -> str:
    """A project with a kickoff and a parts list, made through the JSON API."""
    api(dashboard.url, "POST", "/api/projects", {"id": project, "name": project.title()})
    thread = f"{project}-t"
    for message in (IDEA, "What parts do I need?"):
        result = api(
            dashboard.url,
            "POST",
            f"/api/projects/{project}/threads/{thread}/turns",
            {"message": message, "stream": False},
        )
        assert result["thread_id"] == thread
    return thread


def test_chat_streams_and_fills_the_bom_drawer(page: Any, dashboard: Dashboard) -> None:
    page.goto("/")
    shot(page, "01-projects-empty")
    page.fill("input[name=project_id]", "plant-monitor")
    page.fill("input[name=name]", "Plant watering monitor")
    page.click("#create-project button[type=submit]")
    expect(page).to_have_url(re.compile(r"/projects/plant-monitor/new$"))
    expect(page.locator("#chat-empty")).to_be_visible()

    watch_streaming(page)
    first = send(page, IDEA)
    expect(first.locator(".agent-name")).to_have_text("Project kickoff")
    expect(first.locator(".route")).to_contain_text("first message of the thread")
    expect(page).to_have_url(re.compile(r"/projects/plant-monitor/threads/[0-9a-f]{12}$"))
    expect(page.locator("#drawer-context")).to_have_attribute("open", "")
    expect(page.locator("#drawer-context .md h1")).to_be_visible()

    second = send(page, "What parts do I need?")
    expect(second.locator(".agent-name")).to_have_text("Parts list")
    expect(second.locator(".route")).to_contain_text("BOM")
    expect(second.locator(".act-artifact")).to_contain_text("Parts list v1 saved")
    assert page.evaluate("window.__growth") > 2, "the reply text arrived in several pieces"
    assert second.locator(".msg-text.md").inner_text().strip()

    bom = page.locator("#drawer-bom")
    expect(bom).to_have_attribute("open", "")
    rows = bom.locator(".bom-table tbody tr")
    expect(rows.first).to_be_visible()
    assert rows.count() >= 3
    expect(bom.locator(".bom-table tfoot")).to_contain_text("$")
    expect(bom.locator(".bom-table thead")).to_contain_text("Qty")
    expect(page.locator("#timeline .turn-row").first).to_be_visible()
    shot(page, "02-chat-and-bom-drawer")
    assert page.problems.items == []


def test_version_history_opens_a_diff(page: Any, dashboard: Dashboard) -> None:
    prepare_parts(dashboard, "diff-demo")
    store = ArtifactStore.open(dashboard.data_dir)
    try:
        v1 = store.latest("diff-demo", "bom")
        assert v1 is not None
        bom = json.loads(v1.content)
        bom["components"][0]["quantity"] = 3
        bom["warnings"].append("Buy a spare board: the first one may not survive the bench.")
        store.write("diff-demo", "bom", lambda _prev: json.dumps(bom, indent=2))
    finally:
        store.close()

    page.goto("/projects/diff-demo")
    drawer = page.locator("#drawer-bom")
    expect(drawer).to_have_attribute("open", "")
    drawer.locator(".history > summary").click()
    expect(drawer.locator(".history tbody tr")).to_have_count(2)
    drawer.locator(".compare-form button").click()

    expect(page).to_have_url(re.compile(r"/artifacts/bom/diff\?a=1&b=2"))
    expect(page.locator("h1")).to_contain_text("v1 → v2")
    # What changed, in words, first; the raw line diff is folded until asked for.
    semantic = page.locator("#semantic-diff")
    expect(semantic).to_contain_text(re.compile(r"Changed .+: quantity \d+ → 3"))
    expect(semantic).to_contain_text("Changed warnings")
    added = page.locator("tr.diff-add")
    expect(added.first).to_be_hidden()
    page.locator("#raw-diff > summary").click()
    expect(page.locator("#raw-diff")).to_have_attribute("open", "")
    expect(added.first).to_be_visible()
    expect(page.locator("#diff")).to_contain_text("Buy a spare board")
    assert page.locator("tr.diff-del").count() >= 1
    shot(page, "03-bom-version-diff")
    assert page.problems.items == []


HOSTILE = (
    "# Brief\n\n<script>window.__pwned = 1</script>\n\n"
    '<img src=x onerror="window.__pwned = 2">\n\n'
    "[a harmless link](javascript:window.__pwned=3) and "
    '<a href="javascript:window.__pwned=4">another</a>\n'
)


def test_injected_markup_is_shown_as_text_and_runs_nothing(page: Any, dashboard: Dashboard) -> None:
    api(dashboard.url, "POST", "/api/projects", {"id": "hostile", "name": "<b>Hostile</b>"})
    page.goto("/projects/hostile")
    first = send(page, 'Build me <img src=x onerror="window.__pwned=5"> a <script>x()</script>')
    expect(first.locator(".msg-user .msg-text")).to_contain_text("<img src=x onerror=")

    store = ArtifactStore.open(dashboard.data_dir)
    try:
        store.write("hostile", "context", lambda _prev: HOSTILE)
        parts = {
            "project_name": "x",
            "components": [
                {"name": "<script>window.__pwned=6</script>", "part_number": "P1",
                 "manufacturer": "<img src=x onerror=window.__pwned=7>", "quantity": 1,
                 "supplier": "<a href='javascript:window.__pwned=8'>shop</a>"},
            ],
        }  # fmt: skip
        store.write("hostile", "bom", lambda _prev: json.dumps(parts))
    finally:
        store.close()

    page.reload()
    open_drawer(page, "context")
    open_drawer(page, "bom")
    context = page.locator("#drawer-context .md")
    expect(context).to_contain_text("<script>window.__pwned = 1</script>")
    expect(context).to_contain_text('<img src=x onerror="window.__pwned = 2">')
    expect(page.locator("#drawer-bom .part-name")).to_have_text("<script>window.__pwned=6</script>")
    for link in page.locator("a").all():
        href = (link.get_attribute("href") or "").strip().lower()
        assert not href.startswith("javascript:"), href
    page.wait_for_timeout(300)

    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.locator("#chat-log script, #drawers script").count() == 0
    assert page.locator("[onerror], [onclick], [onload]").count() == 0
    expect(page.locator(".crumbs")).to_contain_text("<b>Hostile</b>")
    shot(page, "04-injected-markup-as-text")
    assert not [p for p in page.problems.items if "Content Security Policy" in p], (
        "nothing even tried to run"
    )


def test_timeline_checkpoint_shows_old_artifacts_and_forks(page: Any, dashboard: Dashboard) -> None:
    thread = prepare_parts(dashboard, "timeline-demo")
    page.goto(f"/projects/timeline-demo/threads/{thread}")
    page.locator('#timeline .turn-row[data-turn="2"] .turn-steps > summary').click()
    step = page.locator("#timeline .timeline-step a", has=page.locator(".tag", has_text="BOM"))
    expect(step.first).to_be_visible()
    step.first.click()

    expect(page).to_have_url(re.compile(r"/checkpoints/[0-9a-f-]+$"))
    expect(page.locator(".drawers-head")).to_contain_text("as of step")
    expect(page.locator("#drawer-bom .drawer-meta")).to_have_text("empty")
    expect(page.locator("#drawer-context .drawer-meta")).not_to_have_text("empty")
    expect(page.locator(".timeline-step.current")).to_have_count(1)
    shot(page, "05-timeline-checkpoint")

    page.select_option("#fork-intent", "WIRING")
    page.click("#fork-button")
    fork = page.locator("article.live-turn").last
    expect(fork.locator(".msg-agent .msg-text.md")).to_be_visible(timeout=TURN_TIMEOUT_MS)
    expect(fork.locator(".agent-name")).to_have_text("Wiring")
    expect(fork.locator(".act-artifact")).to_contain_text("Wiring v1 saved")
    expect(page.locator("#drawer-wiring")).to_have_attribute("open", "")
    expect(page.locator("#drawer-wiring .wiring-table tbody tr").first).to_be_visible()
    fork.get_by_text("Open the new branch").click()
    expect(page).to_have_url(re.compile(rf"/threads/{thread}$"))
    expect(page.locator("#drawer-wiring .badge").first).to_have_text("v1")
    shot(page, "06-after-fork")
    assert page.problems.items == []


def test_projects_can_be_renamed_and_deleted_with_confirmation(
    page: Any, dashboard: Dashboard
) -> None:
    api(dashboard.url, "POST", "/api/projects", {"id": "scratch", "name": "Scratch"})
    page.goto("/")
    card = page.locator("article.project-card[data-project=scratch]")
    card.locator("summary", has_text="Rename").click()
    card.locator("input[name=name]").fill("Bench power supply")
    card.locator("button", has_text="Save").click()
    expect(page.locator("article.project-card[data-project=scratch] h2")).to_have_text(
        "Bench power supply"
    )
    shot(page, "07-projects")

    page.locator("article.project-card[data-project=scratch] a", has_text="Delete").click()
    expect(page.locator("h1")).to_contain_text("Delete “Bench power supply”?")
    page.fill("input[name=confirm]", "wrong")
    page.click("button.button-danger")
    expect(page.locator(".alert-error")).to_contain_text("type the project id 'scratch'")
    page.fill("input[name=confirm]", "scratch")
    page.click("button.button-danger")
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("article.project-card[data-project=scratch]")).to_have_count(0)

    page.goto("/projects/scratch")
    expect(page.locator("h1")).to_have_text("Not found")
    # The refused confirmation (400) and the deleted project (404) are the only failures.
    assert all(re.search(r"status of (400|404)", p) for p in page.problems.items)
