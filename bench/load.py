"""The load generator: N keep-alive HTTP/1.1 connections, each sending the next GET as soon as the
last answer is in (closed loop), for a fixed time; run in a process of its own so its work is not
the server's. `measure()` runs it and reads its result; `python -m bench.load --port ... --path
...` prints that result as JSON.

It is asyncio protocols over raw sockets, no HTTP library: a request is one prebuilt bytes object,
an answer is parsed only as far as its status and Content-Length. So it costs little per request
(its CPU time is reported, to show it), and it can drive a trivial route of the same uvicorn far
above the rates the benchmarks measure.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import resource
import subprocess
import sys
import time
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class LoadResult:
    clients: int
    requests: int
    """Answers received inside the measured window."""
    seconds: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    failures: int
    """Answers whose status was not 200 (the run fails loudly on any)."""
    generator_cpu_seconds: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    @property
    def generator_cpu_share(self) -> float:
        """The generator's CPU time over the window's length: 1.0 is a whole core."""
        return self.generator_cpu_seconds / self.seconds


class _Client(asyncio.Protocol):
    """One connection, one request in flight; latencies of answers in the window are kept."""

    def __init__(self, request: bytes, window: tuple[float, float], done: asyncio.Future[None]):
        self._request = request
        self._start, self._end = window
        self._done = done
        self._buffer = bytearray()
        self._expected = -1
        self._sent_at = 0.0
        self.latencies: list[float] = []
        self.failures = 0
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._send()

    def _send(self) -> None:
        assert self._transport is not None
        self._sent_at = time.perf_counter()
        self._transport.write(self._request)

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if self._expected < 0:
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self._buffer[:end]).lower()
            length_at = head.find(b"content-length:")
            if length_at < 0:
                raise RuntimeError(f"an answer without Content-Length: {head!r}")
            line_end = head.find(b"\r\n", length_at)
            length = int(head[length_at + 15 : line_end if line_end > 0 else None])
            if not head.startswith(b"http/1.1 200"):
                self.failures += 1
            self._expected = end + 4 + length
        if len(self._buffer) < self._expected:
            return
        now = time.perf_counter()
        # Counted by when it ended: the rate is answers per second of the window.
        if self._start <= now <= self._end:
            self.latencies.append(now - self._sent_at)
        del self._buffer[: self._expected]
        self._expected = -1
        if now < self._end:
            self._send()
        else:
            assert self._transport is not None
            self._transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self._done.done():
            if exc is not None or time.perf_counter() < self._end:
                self._done.set_exception(ConnectionError(f"the server closed a connection: {exc}"))
            else:
                self._done.set_result(None)


async def _run(
    port: int, path: str, token: str | None, clients: int, seconds: float, warmup: float
) -> LoadResult:
    headers = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Accept: application/json"]
    if token is not None:
        headers.append(f"Authorization: Bearer {token}")
    request = ("\r\n".join(headers) + "\r\n\r\n").encode()
    loop = asyncio.get_running_loop()
    start = time.perf_counter() + warmup
    window = (start, start + seconds)
    done = [loop.create_future() for _ in range(clients)]
    protocols = []
    for future in done:
        _, protocol = await loop.create_connection(
            functools.partial(_Client, request, window, future), "127.0.0.1", port
        )
        protocols.append(protocol)
    await asyncio.sleep(max(0.0, start - time.perf_counter()))
    cpu_start = _cpu_seconds()
    await asyncio.gather(*done)
    cpu = _cpu_seconds() - cpu_start
    latencies = sorted(latency for p in protocols for latency in p.latencies)
    if not latencies:
        raise RuntimeError(f"no answer to GET {path} within {seconds} s")
    return LoadResult(
        clients=clients,
        requests=len(latencies),
        seconds=seconds,
        p50_ms=_percentile(latencies, 0.50) * 1000,
        p99_ms=_percentile(latencies, 0.99) * 1000,
        max_ms=latencies[-1] * 1000,
        failures=sum(p.failures for p in protocols),
        generator_cpu_seconds=cpu,
    )


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _percentile(ordered: list[float], fraction: float) -> float:
    """The nearest-rank percentile of an ordered list."""
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def measure(
    port: int,
    path: str,
    *,
    token: str | None,
    clients: int,
    seconds: float,
    warmup: float = 0.5,
) -> LoadResult:
    """Load GET `path` on 127.0.0.1:`port` from a new process; refuses any answer but 200."""
    command = [sys.executable, "-m", "bench.load", "--port", str(port), "--path", path]
    command += ["--clients", str(clients), "--seconds", str(seconds), "--warmup", str(warmup)]
    if token is not None:
        command += ["--token", token]
    done = subprocess.run(  # noqa: S603 - this interpreter, our own arguments
        command, capture_output=True, text=True, check=False, timeout=seconds + warmup + 60
    )
    if done.returncode != 0:
        raise RuntimeError(f"the load generator failed on {path}:\n{done.stderr}")
    result = LoadResult(**json.loads(done.stdout))
    if result.failures:
        raise RuntimeError(f"{result.failures} answers to GET {path} were not 200")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", required=True)
    parser.add_argument("--token")
    parser.add_argument("--clients", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=0.5)
    a = parser.parse_args()
    result = asyncio.run(_run(a.port, a.path, a.token, a.clients, a.seconds, a.warmup))
    print(json.dumps(asdict(result)))


if __name__ == "__main__":
    main()
