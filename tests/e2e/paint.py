"""Time from a click on a ticket in the list to its conversation painted, read in the page
with the Performance API: the click at `performance.now()`, the end after the frame that
shows the ticket's messages (a `requestAnimationFrame`, then a task)."""

from pathlib import Path

from playwright.async_api import Page, async_playwright

MEASURE = """
async ([id, other, samples]) => {
  const painted = (ticket) => new Promise((resolve) => {
    const where = `.ticket[data-ticket="${ticket}"] .messages article`;
    const shown = () => document.querySelector(where);
    const finish = () => requestAnimationFrame(() => setTimeout(resolve, 0));
    if (shown()) return finish();
    const watch = new MutationObserver(() => { if (shown()) { watch.disconnect(); finish(); } });
    watch.observe(document.body, { childList: true, subtree: true });
  });
  const times = [];
  for (let i = 0; i < samples; i++) {
    document.querySelector(`li[data-ticket="${other}"]`).click();
    await painted(other);
    const start = performance.now();
    document.querySelector(`li[data-ticket="${id}"]`).click();
    await painted(id);
    times.push(performance.now() - start);
  }
  return times;
}
"""


async def open_times(page: Page, ticket_id: str, other_id: str, samples: int) -> list[float]:
    """Milliseconds to open `ticket_id` from the list, `samples` times, each after `other_id`
    (both must be rows of the list shown)."""
    times = await page.evaluate(MEASURE, [ticket_id, other_id, samples])
    return [float(x) for x in times]


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


async def open_times_in_chromium(
    chromium: Path, args: list[str], url: str, login: tuple[str, str], ticket_id: str, samples: int
) -> list[float]:
    """Log in to the inbox at `url` in headless Chromium, show all open tickets (`ticket_id`
    must be among the newest 100) and time opening it `samples` times, after the first other
    row each time."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(chromium), args=args)
        try:
            page = await browser.new_page(viewport={"width": 1400, "height": 850})
            await page.goto(url + "/")
            await page.fill("input[name=email]", login[0])
            await page.fill("input[name=password]", login[1])
            await page.click("button[type=submit]")
            await page.click("[data-view=allOpen]")
            await page.locator(f"li[data-ticket='{ticket_id}']").wait_for(timeout=30000)
            other = page.locator(f"li[data-ticket]:not([data-ticket='{ticket_id}'])").first
            other_id = await other.get_attribute("data-ticket")
            assert other_id, "no other ticket in the list"
            await open_times(page, ticket_id, other_id, 3)  # the page warms up
            return await open_times(page, ticket_id, other_id, samples)
        finally:
            await browser.close()
