"""The wiring diagram and the timeline as a maker sees them at 1440×900: legible pin
labels, zoom and pan that change the view, and forks that are branches one can open and
leave. Screenshots go to test-output/screenshots/ (see support.shot)."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from .conftest import Dashboard
from .support import api, shot

IDEA = "I want a soil-moisture monitor on an ESP32 that waters my plants when the soil is dry."


def turns(dashboard: Dashboard, project: str, thread: str, *messages: str) -> None:
    api(dashboard.url, "POST", "/api/projects", {"id": project, "name": project.title()})
    for message in messages:
        api(
            dashboard.url,
            "POST",
            f"/api/projects/{project}/threads/{thread}/turns",
            {"message": message, "stream": False},
        )


def view_box(page: Any) -> list[float]:
    raw = page.locator("#drawer-wiring .diagram-viewport svg").get_attribute("viewBox")
    return [float(x) for x in raw.split()]


def open_wiring(page: Any) -> Any:
    drawer = page.locator("#drawer-wiring")
    if drawer.get_attribute("open") is None:
        drawer.locator("> summary").click()
    expect(drawer).to_have_attribute("open", "")
    svg = drawer.locator(".diagram-viewport svg")
    expect(svg).to_be_visible()
    drawer.scroll_into_view_if_needed()
    return drawer


def test_wiring_diagram_opens_legible_and_zooms_and_pans(page: Any, dashboard: Dashboard) -> None:
    turns(dashboard, "diagram-demo", "d1", IDEA, "What parts do I need?", "How do I wire it?")
    page.goto("/projects/diagram-demo/threads/d1")
    drawer = open_wiring(page)
    viewport = drawer.locator(".diagram-viewport")

    # Pin labels render at 11 px or more, measured in the page, not read from the source.
    sizes = page.evaluate(
        """() => [...document.querySelectorAll('#drawer-wiring .diagram-viewport text.pin')]
             .map((t) => t.getScreenCTM().a * parseFloat(t.getAttribute('font-size')))"""
    )
    assert sizes and min(sizes) >= 11, sizes
    heights = page.evaluate(
        """() => [...document.querySelectorAll('#drawer-wiring .diagram-viewport text.pin')]
             .map((t) => t.getBoundingClientRect().height)"""
    )
    assert min(heights) >= 11, heights

    # Boards list the pins in use: no flash pins, nothing unwired.
    pins = drawer.locator("text.pin").all_text_contents()
    assert not {"GPIO6", "GPIO7", "GPIO8", "GPIO9", "GPIO10", "GPIO11"} & set(pins)
    # No label runs past its block.
    overflow = page.evaluate(
        """() => [...document.querySelectorAll('#drawer-wiring g.block')].flatMap((g) => {
             const r = g.querySelector('rect').getBBox();
             return [...g.querySelectorAll('text')].filter((t) => {
               const b = t.getBBox();
               return b.x < r.x - 0.5 || b.x + b.width > r.x + r.width + 0.5;
             }).map((t) => t.textContent);
           })"""
    )
    assert overflow == []
    shot(page, "10-wiring-diagram-drawer")

    before = view_box(page)
    drawer.locator("[data-zoom=in]").click()
    zoomed = view_box(page)
    assert zoomed[2] < before[2] and zoomed[3] < before[3], "zooming in shows less of the drawing"
    expect(drawer.locator(".diagram-scale")).to_have_text("125%")

    box = viewport.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, 300)
    wheeled = view_box(page)
    assert wheeled[2] > zoomed[2], "the wheel zooms out"

    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 - 120, box["y"] + box["height"] / 2 - 60, steps=4)
    page.mouse.up()
    panned = view_box(page)
    assert panned[0] > wheeled[0] and panned[1] > wheeled[1], "dragging pans"

    drawer.locator("[data-zoom=fit]").click()
    fitted = view_box(page)
    assert fitted[0] == 0 and fitted[1] == 0

    used = drawer.locator("text.pin").count()
    drawer.locator("[data-pins-toggle]").check()
    expect(drawer.locator("svg[data-pins=all]")).to_have_count(1)
    every = drawer.locator("text.pin").all_text_contents()
    assert len(every) > used and "GPIO6" not in every, "all pins, still without the flash pins"
    drawer.locator("[data-zoom=reset]").click()
    shot(page, "11-wiring-diagram-all-pins")

    # Checks that pass say so, with the number of rules that looked.
    for kind in ("bom", "wiring"):
        box_text = page.locator(f"#drawer-{kind} .checks-ok, #drawer-{kind} .checks-count")
        expect(box_text.first).to_contain_text(re.compile(r"\d+ rules"))
    assert page.problems.items == []


def test_timeline_rows_per_turn_and_a_fork_is_a_branch_to_open_and_leave(
    page: Any, dashboard: Dashboard
) -> None:
    turns(dashboard, "branch-demo", "b1", IDEA, "What parts do I need?", "How do I wire it?")
    page.goto("/projects/branch-demo/threads/b1")
    rows = page.locator("#timeline .turn-row")
    expect(rows).to_have_count(3)
    expect(rows.nth(1).locator(".turn-msg")).to_have_text("What parts do I need?")
    expect(rows.nth(1).locator(".turn-facts .tag-artifact")).to_contain_text("Parts list v1")
    assert page.locator("#timeline .timeline-step").first.is_hidden(), "steps are folded away"
    shot(page, "12-timeline-turns")

    # Fork turn 2 from its classify step, as the wiring specialist.
    rows.nth(1).locator(".turn-steps > summary").click()
    rows.nth(1).locator(".timeline-step a", has_text="classify").click()
    expect(page).to_have_url(re.compile(r"/checkpoints/[0-9a-f-]+$"))
    expect(page.locator("#fork-form")).to_contain_text("become the project's latest")
    page.select_option("#fork-intent", "WIRING")
    page.click("#fork-button")
    fork = page.locator("article.live-turn").last
    expect(fork.locator(".msg-agent .msg-text.md")).to_be_visible(timeout=90_000)
    fork.get_by_text("Open the new branch").click()
    expect(page).to_have_url(re.compile(r"/threads/b1$"))

    branches = page.locator("#branch-list .branch")
    expect(branches).to_have_count(2)
    expect(branches.nth(0)).to_contain_text("Main line")
    expect(branches.nth(1)).to_contain_text("Branch 2")
    expect(branches.nth(1)).to_contain_text("turn 2 forked")
    expect(branches.nth(1)).to_contain_text("latest")
    expect(branches.nth(1)).to_contain_text("which is now the project's latest wiring")
    expect(page.locator("#branch-bar")).to_contain_text("Showing Branch 2")
    expect(page.locator("#timeline .turn-row")).to_have_count(2)
    shot(page, "13-timeline-after-fork")

    # Back to the original: its later turn (the wiring question) is still there.
    page.locator("#branch-bar a", has_text="Back to Main line").click()
    expect(page.locator("#branch-bar")).to_contain_text("Showing Main line")
    expect(page.locator("#chat-log .msg-user .msg-text").last).to_have_text("How do I wire it?")
    expect(page.locator("#timeline .turn-row")).to_have_count(3)
    expect(page.locator("#branch-list .branch.current")).to_contain_text("Main line")
    shot(page, "14-timeline-main-line")

    # And into the fork again from the list.
    page.locator("#branch-list .branch-link", has_text="Branch 2").click()
    expect(page.locator("#branch-bar")).to_contain_text("Showing Branch 2")
    assert page.problems.items == []
