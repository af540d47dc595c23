"""A tiny round-robin TCP proxy for bench_load's two-node topology when haproxy is missing.

    python bench/rrproxy.py 127.0.0.1:8000 127.0.0.1:8001 127.0.0.1:8002

Each new client connection goes to the next backend in turn and bytes are copied both ways
until either side closes. It balances connections, not requests (a keep-alive client stays on
one node), and adds no header: X-Forwarded-For passes through as the client sent it.
"""

import asyncio
import itertools
import sys


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


async def serve(listen: str, backends: list[str]) -> None:
    turn = itertools.cycle([(h, int(p)) for h, p in (b.rsplit(":", 1) for b in backends)])

    async def handle(client_reader, client_writer):
        host, port = next(turn)
        try:
            server_reader, server_writer = await asyncio.open_connection(host, port)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(
            _pipe(client_reader, server_writer), _pipe(server_reader, client_writer)
        )

    host, port = listen.rsplit(":", 1)
    server = await asyncio.start_server(handle, host, int(port), backlog=1024)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    asyncio.run(serve(sys.argv[1], sys.argv[2:]))
