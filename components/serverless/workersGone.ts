// A serverless endpoint or worker group is deleted only once every worker instance it had is gone:
// Vast's docs disagree on whether deleting a group destroys its instances, so we wait for them and
// destroy (and confirm) any that remain. Never leak a paid instance.
import * as vast from "../vast/api/client.ts";
import { sleep, type VastClientOptions } from "../vast/api/http.ts";

/** Waits up to `graceMs` for Vast to release the instances, then destroys the ones left and confirms. */
export async function releaseAndConfirm(opts: VastClientOptions, instanceIds: number[], graceMs = 60_000): Promise<void> {
  let left = [...new Set(instanceIds)];
  const until = Date.now() + graceMs;
  while (left.length && Date.now() < until) {
    const still: number[] = [];
    for (const id of left) if ((await vast.showInstance(opts, id)) !== null) still.push(id);
    left = still;
    if (left.length) await sleep(1_000);
  }
  for (const id of left) {
    console.log(`[vast serverless] worker instance ${id} still exists after its group was deleted: destroying it`);
    await vast.destroyAndConfirm(opts, id);
  }
}
