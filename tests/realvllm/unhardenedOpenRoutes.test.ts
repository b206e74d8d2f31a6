// The unhardened opt-out (`hardened: false`) on the REAL vLLM server: stock vLLM leaves /rerank,
// /score and more open, and the readiness probe must fail the deploy naming them (launch and routes;
// nothing here depends on what the tiny model scores). The instance that
// failed readiness then serves as the reference for the stand-in: the same launch rented from a
// stand-in emulator must answer the same requests with the same status codes and JSON shapes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestProject } from "../helpers/engine.ts";
import { liveInstances } from "../helpers/stack.ts";
import { startEmulator } from "../../emulator/index.ts";
import type { RunningEmulator } from "../../emulator/types.ts";
import { FAST, healthy, hostPort, rent, until, createBody } from "../emulator/helpers.ts";
import { MODEL, PARITY_PROBES, REAL_BOOT_MS, destroyAndStop, realVllmStack, runProbe, sweepOpenRoutes } from "./helpers.ts";

describe("real vLLM server, unhardened launch: stock vLLM's open routes fail readiness; the stand-in answers like it", () => {
  let emu: RunningEmulator;
  let standinEmu: RunningEmulator;
  let p: TestProject;
  let upError = "";
  beforeAll(async () => {
    ({ emu, p } = await realVllmStack("realopen", { hardened: "false" }));
    standinEmu = await startEmulator({ ...FAST, modelLoadMs: 0 });
    await p.stack.up().catch((e: Error) => { upError = e.message; });
  }, REAL_BOOT_MS + 180_000);
  afterAll(() => destroyAndStop(p, emu, [standinEmu]), 300_000);

  it("pulumi up fails readiness and names the routes stock vLLM leaves open", () => {
    expect(upError).toMatch(/routes open without a key: [^\n]*\/rerank/);
    expect(upError).toMatch(/routes open without a key: [^\n]*\/score/);
    // The instance is kept (in state, destroyed by `pulumi destroy`), not leaked.
    expect(liveInstances(emu)).toHaveLength(1);
  });

  it("the outside route sweep (used on the hardened server) does report stock vLLM's open routes", async () => {
    const base = `http://127.0.0.1:${hostPort(liveInstances(emu)[0])}`;
    const body = JSON.stringify({ model: MODEL, query: "q", documents: ["d"], text_1: "q", text_2: ["d"] });
    const { open } = await sweepOpenRoutes(base, [{ method: "POST", path: "/rerank" }, { method: "POST", path: "/score" }, { method: "POST", path: "/v1/rerank" }], body);
    const plain = open.filter((h) => h.auth === "none" && !h.host).map((h) => h.path);
    expect(plain).toContain("/rerank");
    expect(plain).toContain("/score");
    expect(plain).not.toContain("/v1/rerank"); // stock vLLM guards /v1 itself
  }, 120_000);

  it("the stand-in answers like the real server: same launch, same requests, same status codes and JSON shapes", async () => {
    const [real] = liveInstances(emu);
    const realBase = `http://127.0.0.1:${hostPort(real)}`;
    const env = Object.fromEntries(real.extra_env ?? []) as Record<string, string>;
    const apiKey = env.VLLM_API_KEY;
    expect(apiKey).toMatch(/^[0-9a-f]{64}$/);
    const id = await rent(standinEmu, createBody({ image: real.image_uuid, args: real.image_args, onstart: real.onstart, env, runtype: "args" }));
    const st = await until(standinEmu, id, (i) => i?.actual_status === "running" && !!i.ports?.["8000/tcp"]);
    const standinBase = `http://127.0.0.1:${hostPort(st)}`;
    await healthy(standinBase, 60_000);
    const diffs: string[] = [];
    for (const probe of PARITY_PROBES) {
      const [a, b] = [await runProbe(realBase, apiKey, probe), await runProbe(standinBase, apiKey, probe)];
      if (a.status !== b.status) diffs.push(`${probe.name}: status real ${a.status}, stand-in ${b.status}`);
      else if (JSON.stringify(a.shape) !== JSON.stringify(b.shape)) diffs.push(`${probe.name}: shape real ${JSON.stringify(a.shape)}, stand-in ${JSON.stringify(b.shape)}`);
    }
    expect(diffs).toEqual([]);
    expect(PARITY_PROBES.length).toBeGreaterThan(20);
  }, 180_000);
});
