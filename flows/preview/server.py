"""The preview's web server (Starlette on uvicorn, loopback by default), the file watcher and the one
thread that rebuilds.

A save in the edition's folder (or the region's other years, or inputs/_reference) asks for a rebuild;
saves close together make one (watchfiles groups them); a save during a rebuild makes exactly one more
after it. Each rebuild's end is pushed to the open pages as a server-sent event ("rebuilt" or "failed");
the page then fetches /content and swaps in what changed. Page images are rendered on demand from the
group's PDF and named by its SHA-256, so the browser keeps those that did not change.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, Protocol

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response, StreamingResponse
from starlette.routing import Route

from flows.edition.french import format_seconds
from flows.preview import pages, view
from flows.preview.build import OK, Outcome, Previewer

log = logging.getLogger("fir.preview")
KEEPALIVE_S = 15.0
_IMAGES_KEPT = 160  # rendered PNGs kept in memory (about 150 kB each): a brochure and a half


class Stopping(Protocol):
    def is_set(self) -> bool: ...


class Stop:
    """The preview's stop signal, set by the Ctrl-C/SIGTERM handler: a plain flag the threads poll. No lock
    (as threading.Event has): a second signal arriving while the first handler held it deadlocked the
    preview (Ctrl-C sent twice at once, found by hand)."""

    def __init__(self) -> None:
        self._set = False

    def set(self) -> None:
        self._set = True

    def is_set(self) -> bool:
        return self._set


class Hub:
    """Hands the rebuild thread's news to every open event stream (one asyncio queue per stream)."""

    def __init__(self) -> None:
        self._streams: set[tuple[asyncio.AbstractEventLoop, asyncio.Queue[tuple[str, str]]]] = set()
        self._lock = threading.Lock()

    def open(self) -> tuple[asyncio.AbstractEventLoop, asyncio.Queue[tuple[str, str]]]:
        stream: tuple[asyncio.AbstractEventLoop, asyncio.Queue[tuple[str, str]]] = (
            asyncio.get_running_loop(),
            asyncio.Queue(),
        )
        with self._lock:
            self._streams.add(stream)
        return stream

    def close(self, stream: tuple[asyncio.AbstractEventLoop, asyncio.Queue[tuple[str, str]]]) -> None:
        with self._lock:
            self._streams.discard(stream)

    def publish(self, event: str, data: str) -> None:
        """From any thread."""
        with self._lock:
            streams = list(self._streams)
        for loop, queue in streams:
            with contextlib.suppress(RuntimeError):  # a closed loop: the server is stopping
                loop.call_soon_threadsafe(queue.put_nowait, (event, data))


class Rebuilder:
    """The one thread that rebuilds: `request()` from anywhere; requests during a rebuild make one more."""

    def __init__(self, previewer: Previewer, hub: Hub) -> None:
        self.previewer, self.hub = previewer, hub
        self.outcome: Outcome | None = None
        self._wanted = threading.Event()

    def request(self) -> None:
        self._wanted.set()

    def run(self, stop: Stopping) -> None:
        while not stop.is_set():
            if not self._wanted.wait(0.2):
                continue
            self._wanted.clear()
            self.hub.publish("building", str(self.previewer.version))
            outcome = self.previewer.rebuild()
            self.outcome = outcome
            self.hub.publish("rebuilt" if outcome.status == OK else "failed", str(outcome.version))
            _tell(outcome)


def _tell(outcome: Outcome) -> None:
    """One console line per rebuild."""
    took = format_seconds(outcome.seconds)
    if outcome.steps:
        took += " : " + ", ".join(f"{name} {format_seconds(seconds, 2)}" for name, seconds in outcome.steps)
    if outcome.status == OK:
        log.warning("%s aperçu à jour : %d pages (%s)", outcome.finished_at, len(outcome.pages), took)
    else:
        first = outcome.problems[0] if outcome.problems else None
        detail = f"{first.where} — {first.what}" if first else ""
        more = f" (et {len(outcome.problems) - 1} autre(s))" if len(outcome.problems) > 1 else ""
        log.warning("%s données à corriger (%s) : %s%s", outcome.finished_at, took, detail, more)


def watch(folders: list[Path], on_change: Callable[[], None], stop: Stopping) -> None:
    """Call `on_change` after each burst of saves under `folders` (editors' temporary files left aside)."""
    import watchfiles

    existing = [str(folder) for folder in folders if folder.is_dir()]
    # step 20 ms: a burst is over 20 ms after its last change (an editor's save is a write or a rename, well
    # within); at most 1 s of saves grouped together
    for _changes in watchfiles.watch(
        *existing, stop_event=stop, debounce=1000, step=20, raise_interrupt=False, rust_timeout=500
    ):
        on_change()


class Images:
    """Page images rendered on demand from the shown groups' PDFs, the latest kept in memory."""

    def __init__(self, previewer: Previewer) -> None:
        self.previewer = previewer
        self._kept: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def png(self, key: str) -> bytes | None:
        with self._lock:
            if key in self._kept:
                self._kept.move_to_end(key)
                return self._kept[key]
        group, _, index = key.partition("-")
        pdf = self.previewer.pdf(group)
        if pdf is None or not index.isdigit():
            return None
        try:
            image = pages.page_png(pdf, int(index))
        except IndexError:
            return None
        with self._lock:
            self._kept[key] = image
            while len(self._kept) > _IMAGES_KEPT:
                self._kept.popitem(last=False)
        return image


def create_app(rebuilder: Rebuilder, title: str, stopping: Stopping) -> Starlette:
    """The preview's routes: the page, its content, the page images and the event stream."""
    images = Images(rebuilder.previewer)

    async def home(request: Request) -> Response:
        return HTMLResponse(view.page(rebuilder.outcome, title), headers={"Cache-Control": "no-store"})

    async def content(request: Request) -> Response:
        return HTMLResponse(view.content(rebuilder.outcome), headers={"Cache-Control": "no-store"})

    async def image(request: Request) -> Response:
        key = request.path_params["key"]
        found = await asyncio.to_thread(images.png, key)
        if found is None:
            return Response("Page inconnue (aperçu reconstruit depuis)", status_code=404, media_type="text/plain")
        # The key is the group PDF's SHA-256 and the page: the same key always names the same pixels.
        return Response(found, media_type="image/png", headers={"Cache-Control": "max-age=31536000, immutable"})

    async def events(request: Request) -> Response:
        async def stream() -> AsyncIterator[str]:
            subscription = rebuilder.hub.open()
            try:
                version = rebuilder.outcome.version if rebuilder.outcome else 0
                yield f"retry: 1000\nevent: hello\ndata: {version}\n\n"
                idle = 0.0
                while not stopping.is_set():  # checked every second: Ctrl-C never waits for a stream
                    try:
                        async with asyncio.timeout(1.0):
                            event, data = await subscription[1].get()
                    except TimeoutError:
                        idle += 1.0
                        if idle >= KEEPALIVE_S:
                            idle = 0.0
                            yield ": keep-alive\n\n"
                        continue
                    idle = 0.0
                    yield f"event: {event}\ndata: {data}\n\n"
            finally:
                rebuilder.hub.close(subscription)

        return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})

    return Starlette(
        routes=[
            Route("/", home),
            Route("/content", content),
            Route("/pages/{key}.png", image),
            Route("/events", events),
        ]
    )


def listen(host: str, port: int) -> socket.socket:
    """The listening socket, bound before anything starts (a port in use is said at once). Port 0: any free one."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(64)
    return sock


def serve(
    previewer: Previewer,
    folders: list[Path],
    sock: socket.socket,
    title: str,
    on_ready: Callable[[], None] = lambda: None,
) -> None:
    """Serve until Ctrl-C or SIGTERM: the first rebuild starts at once, then one after each burst of saves."""
    import uvicorn

    stop = Stop()
    rebuilder = Rebuilder(previewer, Hub())
    app = create_app(rebuilder, title, stop)
    threads = [
        threading.Thread(target=rebuilder.run, args=(stop,), name="fir-preview-rebuild", daemon=True),
        threading.Thread(target=watch, args=(folders, rebuilder.request, stop), name="fir-preview-watch", daemon=True),
    ]
    rebuilder.request()
    for thread in threads:
        thread.start()
    config = uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=1, lifespan="off")
    server = uvicorn.Server(config)
    original_startup = server.startup

    async def startup(sockets: list[socket.socket] | None = None) -> None:
        await original_startup(sockets)
        on_ready()

    server.startup = startup  # type: ignore[method-assign]
    original_exit = server.handle_exit

    def handle_exit(sig: int, frame: Any) -> None:
        stop.set()  # first the event streams, so that the server's graceful shutdown finds them closed
        original_exit(sig, frame)

    server.handle_exit = handle_exit  # type: ignore[method-assign]
    try:
        server.run(sockets=[sock])
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=2)  # a layout under way is not waited for (daemon threads)
