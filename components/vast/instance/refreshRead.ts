// What `pulumi refresh` (the provider's read) may conclude from Vast's answers. Two readings are not
// taken at their word (issue 19, "no instance lost to lag"):
// - `{"instances": null}` (also what a key that does not own the instance gets, and what a read
//   path lagging behind gives) drops the resource only when the label lookup agrees: no listed
//   instance with that id and label;
// - `offline` (computed from missed heartbeats: it comes and goes) is recorded, and so plans a
//   replacement, only when it persists over OFFLINE_CONFIRM_MS; any other reading meanwhile wins.
import type { Instance } from "../api/types.ts";
import * as vast from "../api/client.ts";
import { OFFLINE_CONFIRM_MS } from "./watchBoot.ts";
import { sleep } from "./bootContext.ts";

/** Between the readings that confirm `offline`: 4 readings over the minute. */
const OFFLINE_RECHECK_MS = 20_000;

export interface RefreshOptions {
  /** The instance's label (from state): what the second look searches. */
  label: string;
  /** Multiplies the confirmation window (the test-only VAST_TEST_WAIT_SCALE). */
  scale?: number;
  log: (line: string) => void;
}

/** The instance as refresh should record it, or null when it is gone by both the per-id read and the label list. */
export async function readForRefresh(opts: vast.VastClientOptions, id: number, o: RefreshOptions): Promise<Instance | null> {
  const inst = await vast.showInstance(opts, id);
  if (inst === null) return secondLook(opts, id, o);
  if (inst.actual_status !== "offline") return inst;
  const scale = o.scale ?? 1;
  const until = Date.now() + OFFLINE_CONFIRM_MS * scale;
  let last: Instance = inst;
  let readings = 1;
  while (Date.now() < until) {
    await sleep(Math.min(OFFLINE_RECHECK_MS * scale, Math.max(0, until - Date.now())));
    const again = await vast.showInstance(opts, id);
    readings++;
    if (again === null) return secondLook(opts, id, o);
    if (again.actual_status !== "offline") {
      o.log(`instance ${id} read offline, then ${again.actual_status ?? "provisioning"}: a flap, nothing to replace`);
      return again;
    }
    last = again;
  }
  o.log(`instance ${id} stayed offline for ${OFFLINE_CONFIRM_MS / 1000} s (${readings} readings): recorded, the next \`pulumi up\` replaces it`);
  return last;
}

/** GET said `{"instances": null}`: the label list decides. */
async function secondLook(opts: vast.VastClientOptions, id: number, o: RefreshOptions): Promise<Instance | null> {
  if (!o.label) return null;
  const row = (await vast.findInstancesByLabel(opts, o.label)).find((i) => i.id === id && i.cur_state !== "unloaded" && i.intended_status !== "destroyed");
  if (!row) return null;
  o.log(`instance ${id}: GET /instances/${id}/ answered {"instances": null} but the list shows it with label ${o.label}: kept in state`);
  return row;
}
