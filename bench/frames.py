"""`python -m bench.frames`: one offline reply in a real browser, a screenshot every 100 ms from
its first word, to show that it streams word by word (issue 17).

The app runs offline as `make run` starts it, on a scratch copy of data (as bench/page.py does),
at the offline model's usual pace; Debian's chromium asks one help-centre question. Writes
docs/streaming/frame-NN.png (each cropped to the answer), frames.png (all of them on one sheet)
and README.md (each frame's time and words). Pillow, which Streamlit brings, lays out the sheet.
"""

from __future__ import annotations

import io
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont
from playwright import sync_api

import settings
from bench.context import Context
from bench.page import CHAT_BOX, CHROMIUM, CHROMIUM_ARGS, HEADING, ROOT, scratch_home, start_app
from bench.page import stop as stop_app

OUT = ROOT / "docs" / "streaming"
QUESTION = "Is glass damage covered?"
INTERVAL_S = 0.1
MAX_FRAMES = 16
# Tall enough that the page never scrolls while the answer grows, so every crop starts at one
# place; 1000 px wide keeps the answer's column (and the pictures) narrow.
VIEWPORT = sync_api.ViewportSize(width=1000, height=1400)
# Room below the answer for a line that wraps while the shot is taken.
SLACK_PX = 40
START_SECONDS = 120
CURSOR = "▌"
MESSAGE = '[data-testid="stChatMessage"]'
ANSWER = '[data-testid="stChatMessageContent"][aria-label="Chat message from assistant"]'
# The last answer's text and its message's place on the page (null before it starts).
STATE = f"""() => {{
  const answers = document.querySelectorAll('{ANSWER}');
  if (!answers.length) return null;
  const answer = answers[answers.length - 1];
  const box = answer.closest('{MESSAGE}').getBoundingClientRect();
  return {{text: answer.innerText, x: box.x, y: box.y, width: box.width, height: box.height}};
}}"""
STREAMING = f"""(state => state !== null && state.text.includes('{CURSOR}')
  && /\\p{{L}}/u.test(state.text))(({STATE})())"""
COMPLETE = f"""(state => state !== null && /\\p{{L}}/u.test(state.text)
  && !state.text.includes('{CURSOR}'))(({STATE})())"""
SHEET_COLUMNS = 2


@dataclass(frozen=True)
class Frame:
    at_ms: float  # from the first word showing to the start of this shot
    took_ms: float
    # The answer's words when the shot began and when it returned: the picture shows one of
    # those or a state between (a shot takes longer than a word takes to arrive).
    before: list[str]
    after: list[str]
    streaming: bool  # the answer was still growing when the shot returned
    png: bytes


def words(text: str) -> list[str]:
    return text.replace(CURSOR, " ").split()


def film(url: str) -> tuple[list[Frame], float]:
    """Ask QUESTION and shoot the answer every INTERVAL_S from its first word until it is
    complete, at most MAX_FRAMES times; the frames, and when its text was complete (ms)."""
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=VIEWPORT)
            page.goto(url)
            page.get_by_role("heading", name=HEADING).wait_for(timeout=START_SECONDS * 1000)
            box = page.locator(CHAT_BOX)
            sync_api.expect(box).to_be_enabled(timeout=START_SECONDS * 1000)
            box.fill(QUESTION)
            box.press("Enter")
            page.wait_for_function(STREAMING, polling="raf", timeout=START_SECONDS * 1000)
            first = time.perf_counter()
            frames: list[Frame] = []
            while len(frames) < MAX_FRAMES:
                time.sleep(max(0.0, first + len(frames) * INTERVAL_S - time.perf_counter()))
                before = page.evaluate(STATE)
                # Only the answer and a line below it: a small picture is taken sooner.
                clip = sync_api.FloatRect(
                    x=before["x"],
                    y=before["y"],
                    width=before["width"],
                    height=before["height"] + SLACK_PX,
                )
                began = time.perf_counter()
                png = page.screenshot(clip=clip)
                took = time.perf_counter() - began
                after = page.evaluate(STATE)
                frames.append(
                    Frame(
                        at_ms=(began - first) * 1000,
                        took_ms=took * 1000,
                        before=words(before["text"]),
                        after=words(after["text"]),
                        streaming=CURSOR in after["text"],
                        png=png,
                    )
                )
                if not frames[-1].streaming:
                    break
            page.wait_for_function(COMPLETE, polling="raf", timeout=START_SECONDS * 1000)
            return frames, (time.perf_counter() - first) * 1000
        finally:
            browser.close()


def pictures(frames: list[Frame]) -> list[Image.Image]:
    """The frames on one size (the tallest), white below a shorter answer as on the page."""
    shots = [Image.open(io.BytesIO(frame.png)).convert("RGB") for frame in frames]
    size = (max(shot.width for shot in shots), max(shot.height for shot in shots))
    padded = []
    for shot in shots:
        picture = Image.new("RGB", size, "white")
        picture.paste(shot)
        padded.append(picture)
    return padded


def shown(frame: Frame, dash: str = "–") -> str:
    """How many words the picture shows: one count, or the range a shot's time allows."""
    low, high = len(frame.before), len(frame.after)
    return f"{low}" if low == high else f"{low}{dash}{high}"


def sheet(frames: list[Frame], images: list[Image.Image]) -> Image.Image:
    """The frames in a grid, each under its number, time and word count."""
    font = ImageFont.load_default(size=16)
    width, height = images[0].size
    caption, gap = 22, 8
    rows = -(-len(images) // SHEET_COLUMNS)
    grid = Image.new(
        "RGB",
        (gap + SHEET_COLUMNS * (width + gap), gap + rows * (caption + height + gap)),
        "white",
    )
    draw = ImageDraw.Draw(grid)
    for n, (frame, image) in enumerate(zip(frames, images, strict=True)):
        x = gap + n % SHEET_COLUMNS * (width + gap)
        y = gap + n // SHEET_COLUMNS * (caption + height + gap)
        # Pillow's own font has no en dash.
        label = f"{n:02d} · {frame.at_ms:.0f} ms · {shown(frame, '-')} words"
        draw.text((x, y + 3), label, fill="black", font=font)
        grid.paste(image, (x, y + caption))
        draw.rectangle((x - 1, y + caption - 1, x + width, y + caption + height), outline="#bbb")
    return grid


def newest(frame: Frame, previous: Frame | None) -> str:
    """The words on the page since the last shot began; [those] that arrived during this one."""
    start = len(previous.before) if previous else 0
    settled = " ".join(frame.before[start:])
    arriving = " ".join(frame.after[len(frame.before) :])
    return f"{settled} [{arriving}]".strip() if arriving else settled


def readme(frames: list[Frame], complete_ms: float) -> str:
    rows = []
    for n, frame in enumerate(frames):
        added = newest(frame, frames[n - 1] if n else None).replace("|", "\\|")
        rows.append(
            f"| [{n:02d}](frame-{n:02d}.png) | {frame.at_ms:.0f} | {frame.took_ms:.0f}"
            f" | {shown(frame)} | {added} |"
        )
    return "\n".join(
        [
            "# An offline reply, 100 ms apart",
            "",
            "Made by `python -m bench.frames` (bench/frames.py). The app runs offline as"
            " `make run` starts it, at the offline model's pace"
            f" ({settings.OFFLINE_PACE_SECONDS:g} s a word), in Debian's chromium"
            f" ({VIEWPORT['width']}×{VIEWPORT['height']}, {os.cpu_count()} cores shared with the"
            f" server). The customer asks *{QUESTION}* From the moment the answer's first word"
            f" shows, the answer is photographed every {INTERVAL_S * 1000:.0f} ms (at most"
            f" {MAX_FRAMES} times) until it is complete.",
            "",
            "![The frames side by side](frames.png)",
            "",
            "*Time* is when the shot began, counted from the first word; a shot takes a while, so"
            " the picture shows the words on the page when it began or the few that arrived"
            " while it was taken (*words*: that range; *new words*: those on the page since the"
            " shot before began, [those] arriving during this one).",
            "",
            "| frame | time (ms) | shot took (ms) | words | new words |",
            "| --- | ---: | ---: | ---: | --- |",
            *rows,
            "",
            ending(frames, complete_ms),
            "",
        ]
    )


def ending(frames: list[Frame], complete_ms: float) -> str:
    done = f"its text was complete (the cursor gone) {complete_ms:.0f} ms after the first word"
    if frames[-1].streaming:
        return f"The frames stop at {len(frames)} with the answer still streaming; {done}."
    return f"The last frame shows the whole answer; {done}."


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="acme-frames-") as scratch:
        ctx = Context(Path(scratch))
        print("indexing kb/ in a scratch folder…", flush=True)
        ctx.kb()
        home = scratch_home(ctx.root / "index", ctx.root / "home")
        server, url = start_app(home, str(settings.OFFLINE_PACE_SECONDS))
        try:
            frames, complete_ms = film(url)
        finally:
            stop_app(server)
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("frame-*.png"):
        old.unlink()
    images = pictures(frames)
    for n, image in enumerate(images):
        image.save(OUT / f"frame-{n:02d}.png", optimize=True)
    sheet(frames, images).save(OUT / "frames.png", optimize=True)
    (OUT / "README.md").write_text(readme(frames, complete_ms))
    print(f"{len(frames)} frames in {OUT.relative_to(ROOT)}. {ending(frames, complete_ms)}")


if __name__ == "__main__":
    main()
