// Replicas booting in one provider process read their status from shared GET /api/v1/instances/
// calls (components/vast/api/instanceList.ts) instead of taking turns on GET /instances/{id}, whose
// 2 s threshold per key made each of N instances wait 2.1·N s. Checked here against the emulator
// with Vast's documented thresholds, through the client the boot loop uses: fewer per-id GETs, each
// read is its own instance's live record, an id the list does not show is still asked by id (so
// null keeps meaning "no longer exists"), placement lists share the threshold, and no call is
// answered 429. A process that never booted replicas keeps the per-id reads and filtered lists.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "../../emulator/index.ts";
import { VAST_RATE_LIMITS } from "../../emulator/faults.ts";
import type { RunningEmulator } from "../../emulator/types.ts";
import { findInstancesByLabel, listInstances, rentOffer, showInstance, type VastClientOptions } from "../../components/vast/api/client.ts";
import { createRequest } from "../../components/vast/instance/instanceLogic.ts";
import type { Instance } from "../../components/vast/api/types.ts";
import { inputs, smallMarket } from "./harness.ts";
import { sleep } from "../helpers/wait.ts";

const SHOW = "GET /api/v0/instances/:id";
const LIST = "GET /api/v1/instances";
// One API key per test: the client keeps its pacing and shared-list state per URL and key, and the
// emulator throttles per key, so no test inherits another's slots.
const KEYS = ["key-poll", "key-absent", "key-placement", "key-rent", "key-single", "key-adopt"].map((k) => `${k}-${"0".repeat(24)}`);

let emu: RunningEmulator;

beforeAll(async () => {
  // Vast's thresholds, except for rents: these tests rent several instances at once to read them,
  // and rent spacing is not what they check (tests/engine covers it under the real engine).
  emu = await startEmulator({
    pendingMs: 200, createdMs: 200, loadingMs: 1_500, modelLoadMs: 50, readLagMs: 0, lingerDeletedMs: 0,
    rateLimits: { ...VAST_RATE_LIMITS, "PUT /api/v0/asks/:id": 0 }, apiKeys: KEYS,
  });
  emu.replaceMarket(smallMarket());
});
afterAll(async () => { await emu?.stop(); });

const replicaOpts = (apiKey: string): VastClientOptions => ({ apiUrl: emu.url, apiKey, paceReplicas: true });
const plainOpts = (apiKey: string): VastClientOptions => ({ apiUrl: emu.url, apiKey });

/** Rents `n` offers of the small market, each with its own label; returns the instance ids. */
async function rentSome(apiKey: string, n: number): Promise<Array<{ id: number; label: string }>> {
  await emu.reset();
  emu.replaceMarket(smallMarket());
  const out: Array<{ id: number; label: string }> = [];
  for (const offer of smallMarket().slice(0, n)) {
    const label = `vast-reranker.batch.r${offer.id}.n.s`;
    const r = await rentOffer(plainOpts(apiKey), offer.id, createRequest(inputs(), offer, label));
    if (r.kind !== "rented") throw new Error(JSON.stringify(r));
    out.push({ id: r.instanceId, label });
  }
  emu.clearRequestLog();
  return out;
}

function calls(route: string): number {
  return emu.requestLog().filter((e) => e.route === route).length;
}

function throttled(): string[] {
  return emu.requestLog().filter((e) => e.status === 429).map((e) => `${e.method} ${e.path}`);
}

describe("status reads of booting replicas share list calls", () => {
  it("four instances polled until running: most reads come from shared lists, each is its own instance, 0 × 429", async () => {
    const rented = await rentSome(KEYS[0], 4);
    const opts = replicaOpts(KEYS[0]);
    let reads = 0;
    const finals = await Promise.all(rented.map(async ({ id }) => {
      const seen: Array<string | null> = [];
      for (;;) {
        const inst = await showInstance(opts, id);
        reads++;
        expect(inst?.id).toBe(id);
        seen.push(inst?.actual_status ?? null);
        if (inst?.actual_status === "running") return { inst, seen };
        await sleep(250);
      }
    }));
    expect(throttled()).toEqual([]);
    // Without sharing every read is one per-id GET; here lists carry most of them.
    expect(calls(SHOW) + calls(LIST)).toBeLessThan(reads);
    expect(calls(SHOW)).toBeLessThan(reads / 2);
    expect(calls(LIST)).toBeGreaterThan(0);
    const records = new Map(emu.instances().map((r) => [r.id, r]));
    for (const { inst, seen } of finals) {
      const rec = records.get(inst.id) as Instance;
      expect(inst.label).toBe(rec.label);
      expect(inst.machine_id).toBe(rec.machine_id);
      expect(inst.ports?.["8000/tcp"]?.[0]?.HostPort).toBe(rec.ports?.["8000/tcp"]?.[0]?.HostPort);
      // Each instance's own lifecycle, in order: never a sibling's status.
      const order = ["created", "loading", "running"];
      const ranks = seen.filter((s): s is string => s !== null).map((s) => order.indexOf(s));
      expect(ranks.every((r, i) => r >= 0 && (i === 0 || r >= ranks[i - 1]))).toBe(true);
    }
  }, 60_000);

  it("an id the shared list does not show is asked by id: a gone instance reads null, a listed one comes from the list", async () => {
    const [a, b] = await rentSome(KEYS[1], 2);
    const opts = replicaOpts(KEYS[1]);
    expect((await showInstance(opts, a.id))?.id).toBe(a.id); // per-id: its slot was free
    // The per-id slot is now 2.1 s away and a list can go at once: the list is asked first.
    expect(await showInstance(opts, 99_999_999)).toBeNull();
    expect(emu.requestLog().map((e) => `${e.route === SHOW ? e.path : e.route}`)).toEqual([
      `/api/v0/instances/${a.id}/?owner=me`, LIST, "/api/v0/instances/99999999/?owner=me",
    ]);
    emu.clearRequestLog();
    expect((await showInstance(opts, b.id))?.id).toBe(b.id);
    expect(calls(SHOW)).toBe(0);
    expect(calls(LIST)).toBe(1);
    expect(throttled()).toEqual([]);
  }, 30_000);

  it("lists of a replica process (placement, adoption) share one call and Vast's list threshold", async () => {
    const [a] = await rentSome(KEYS[2], 3);
    const opts = replicaOpts(KEYS[2]);
    // The provider's placement lists come without paceReplicas: they share the key's list all the same.
    const [byLabel, ...all] = await Promise.all([findInstancesByLabel(opts, a.label), listInstances(plainOpts(KEYS[2])), listInstances(plainOpts(KEYS[2]))]);
    expect(byLabel.map((i) => i.id)).toEqual([a.id]);
    for (const list of all) expect(list).toHaveLength(3);
    expect(calls(LIST)).toBe(1);
    expect(throttled()).toEqual([]);
  }, 30_000);

  it("a rent voids sharing: the next list is a new call, spaced by the threshold, and shows the new instance", async () => {
    await rentSome(KEYS[3], 1);
    const opts = replicaOpts(KEYS[3]);
    const before = await listInstances(opts);
    const offer = smallMarket()[1];
    const r = await rentOffer(opts, offer.id, createRequest(inputs(), offer, "vast-reranker.batch.late.n.s"));
    if (r.kind !== "rented") throw new Error(JSON.stringify(r));
    const after = await listInstances(opts);
    expect(before.map((i) => i.id)).not.toContain(r.instanceId);
    expect(after.map((i) => i.id)).toContain(r.instanceId);
    expect(calls(LIST)).toBe(2);
    expect(throttled()).toEqual([]);
  }, 30_000);

  it("an adoption lookup never takes an earlier list: an instance labelled elsewhere a moment ago is found", async () => {
    await rentSome(KEYS[5], 1);
    const opts = replicaOpts(KEYS[5]);
    await listInstances(opts);
    // Rented with the same key but not through this process's client (another process, a console
    // click): the client cannot know of it. (Another key's instances are not listed at all, as on Vast.)
    const offer = smallMarket()[1];
    const label = "vast-reranker.batch.elsewhere.n.s";
    const r = (await fetch(`${emu.url}/api/v0/asks/${offer.id}/`, {
      method: "PUT", headers: { authorization: `Bearer ${KEYS[5]}`, "content-type": "application/json" }, body: JSON.stringify(createRequest(inputs(), offer, label)),
    }).then((res) => res.json())) as { success: boolean; new_contract: number };
    if (!r.success) throw new Error(JSON.stringify(r));
    expect((await findInstancesByLabel(opts, label)).map((i) => i.id)).toEqual([r.new_contract]);
    expect(calls(LIST)).toBe(2);
    expect(throttled()).toEqual([]);
  }, 30_000);

  it("a process that boots no replicas keeps per-id reads and server-side label filters", async () => {
    const [a] = await rentSome(KEYS[4], 2);
    const opts = plainOpts(KEYS[4]);
    expect((await showInstance(opts, a.id))?.id).toBe(a.id);
    expect((await showInstance(opts, a.id))?.id).toBe(a.id);
    expect((await findInstancesByLabel(opts, a.label)).map((i) => i.id)).toEqual([a.id]);
    const log = emu.requestLog();
    expect(log.filter((e) => e.route === SHOW)).toHaveLength(2);
    expect(log.filter((e) => e.route === LIST).map((e) => decodeURIComponent(e.path))).toEqual([expect.stringContaining(`"label":{"eq":"${a.label}"}`)]);
    expect(throttled()).toEqual([]);
  }, 30_000);
});
