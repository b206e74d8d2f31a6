"""Emulator: the inside of an isolated container (a serverless worker's instance).

Run by the emulator as `unshare --net --mount --fork -- python container.py --dir D --publish 3000
--reach 41234 -- <launch argv>`: in its own network namespace the container's loopback is its own
(vLLM on 127.0.0.1:18000 is unreachable from the host, as in a Docker container), /etc is a private
writable overlay (Vast's worker reads /etc/instance.crt), published ports are relayed from the host
through Unix sockets in D/ports/<port>.sock, and the emulator's own port is reachable inside through
D/host/<port>.sock (Vast's REPORT_ADDR and console). Stdlib only.
"""
import argparse
import asyncio
import os
import signal
import subprocess
import sys


async def pipe(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        try:
            writer.close()
        except Exception:
            pass


def relay(connect):
    async def handle(reader, writer):
        try:
            r2, w2 = await connect()
        except OSError:
            writer.close()
            return
        await asyncio.gather(pipe(reader, w2), pipe(r2, writer))
    return handle


async def watch_emulator():
    """If the emulator dies without stopping this container (a killed test), take the whole group down."""
    try:
        emu = int(os.environ.get("VAST_EMULATOR_PID", ""))
    except ValueError:
        return
    while True:
        await asyncio.sleep(1.0)
        try:
            os.kill(emu, 0)
        except ProcessLookupError:
            os.killpg(os.getpgrp(), signal.SIGKILL)


async def main(args, argv):
    os.makedirs(os.path.join(args.dir, "ports"), exist_ok=True)
    servers = []
    for p in filter(None, args.publish.split(",")):
        path = os.path.join(args.dir, "ports", f"{p}.sock")
        if os.path.exists(path):
            os.unlink(path)
        servers.append(await asyncio.start_unix_server(relay(lambda p=p: asyncio.open_connection("127.0.0.1", int(p))), path=path))
    for p in filter(None, args.reach.split(",")):
        path = os.path.join(args.dir, "host", f"{p}.sock")
        servers.append(await asyncio.start_server(relay(lambda path=path: asyncio.open_unix_connection(path)), "127.0.0.1", int(p)))
    child = await asyncio.create_subprocess_exec(*argv)
    asyncio.get_running_loop().create_task(watch_emulator())
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda s=sig: child.send_signal(s))
    return await child.wait()


if __name__ == "__main__":
    sep = sys.argv.index("--")
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--publish", default="")
    ap.add_argument("--reach", default="")
    a = ap.parse_args(sys.argv[1:sep])
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    etc = os.path.join(a.dir, "etc")
    for sub in ("upper", "work"):
        os.makedirs(os.path.join(etc, sub), exist_ok=True)
    subprocess.run(["mount", "-t", "overlay", "overlay", "-o",
                    f"lowerdir=/etc,upperdir={etc}/upper,workdir={etc}/work", "/etc"], check=True)
    sys.exit(asyncio.run(main(a, sys.argv[sep + 1:])))
