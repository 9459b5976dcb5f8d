"""Time from a click on a ticket in the list to its conversation painted, read in the page
with the Performance API: the click at `performance.now()`, the end after the frame that
shows the ticket's messages (a `requestAnimationFrame`, then a task)."""

from playwright.async_api import Page

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
