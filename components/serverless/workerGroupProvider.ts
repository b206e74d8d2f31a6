// Dynamic provider for the Vast Serverless worker group (/workergroups/) that runs our workers for
// one endpoint. The endpoint's key reaches the workers only inside the launch sent to Vast; in state
// it is a secret input and only its hash is an output.
import type * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import { VastConfiguredProvider } from "../vast/api/credentials.ts";
import * as api from "./api.ts";
import { releaseAndConfirm } from "./workersGone.ts";
import { launchArgs, workerGroupBody, type WorkerGroupBody } from "./wire.ts";
import type { WorkerLaunch } from "./launch.ts";
import type { ServerlessSettings } from "./settings.ts";

export interface WorkerGroupInputs {
  apiUrl?: string;
  endpointId: number;
  endpointName: string;
  /** Secret: checked by our worker script on every call (Vast's client sends it). */
  endpointKey: string;
  launch: WorkerLaunch;
  diskGb: number;
  /** The offer query (instance mode's, from the same filter and settings): Vast takes it as search_params. */
  searchParams: Record<string, unknown>;
  gpuRamGb?: number;
  coldWorkers: number;
  maxWorkers: number;
}

export interface WorkerGroupOutputs extends Omit<WorkerGroupInputs, "endpointKey"> {
  workerGroupId: number;
  endpointKeyHash: string;
}

const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const hash = (s: string) => createHash("sha256").update(s).digest("hex");
const stable = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (x && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b))) : x));
/** Changes that only new workers would pick up: the group is replaced so that no worker runs the old launch. */
const REPLACE_KEYS = ["endpointId", "launch", "diskGb", "apiUrl"] as const;
const IN_PLACE_KEYS = ["searchParams", "gpuRamGb", "coldWorkers", "maxWorkers", "endpointName"] as const;

export class VastWorkerGroupProvider extends VastConfiguredProvider implements pulumi.dynamic.ResourceProvider {
  async check(_olds: WorkerGroupInputs, news: WorkerGroupInputs): Promise<pulumi.dynamic.CheckResult> {
    if (!this.apiKey && !process.env.VAST_API_KEY) return { failures: [{ property: "vast:apiKey", reason: "no Vast API key: run `pulumi config set --secret vast:apiKey <key>` (or export VAST_API_KEY)" }] };
    return { inputs: news };
  }

  async diff(_id: string, olds: WorkerGroupOutputs, news: WorkerGroupInputs): Promise<pulumi.dynamic.DiffResult> {
    const o = olds as unknown as Record<string, unknown>;
    const n = news as unknown as Record<string, unknown>;
    const keyChanged = news.endpointKey !== UNKNOWN && hash(news.endpointKey) !== olds.endpointKeyHash;
    const replaces = [...REPLACE_KEYS.filter((k) => stable(o[k]) !== stable(n[k])), ...(keyChanged ? ["endpointKey"] : [])];
    const inPlace = IN_PLACE_KEYS.filter((k) => stable(o[k]) !== stable(n[k]));
    return { changes: replaces.length + inPlace.length > 0, replaces, deleteBeforeReplace: true };
  }

  private body(inputs: WorkerGroupInputs, apiUrl: string): WorkerGroupBody {
    // The worker asks the console it was deployed from to sign its TLS certificate.
    const env = { ...inputs.launch.env, VR_CONSOLE_URL: apiUrl, VR_ENDPOINT_KEY: inputs.endpointKey };
    const settings = { coldWorkers: inputs.coldWorkers, maxWorkers: inputs.maxWorkers } as ServerlessSettings;
    return workerGroupBody({ endpointId: inputs.endpointId, endpointName: inputs.endpointName, searchParams: inputs.searchParams as never, launchArgs: launchArgs(inputs.launch, env, inputs.diskGb), gpuRamGb: inputs.gpuRamGb, settings });
  }

  private outputs(inputs: WorkerGroupInputs, id: number): WorkerGroupOutputs {
    const { endpointKey, ...rest } = inputs;
    return { ...rest, workerGroupId: id, endpointKeyHash: hash(endpointKey) };
  }

  async create(inputs: WorkerGroupInputs): Promise<pulumi.dynamic.CreateResult> {
    const opts = this.clientOptions(inputs.apiUrl);
    const body = this.body(inputs, opts.apiUrl);
    // Adoption: one group per endpoint; one an interrupted `up` created is brought up to date.
    const existing = (await api.listWorkerGroups(opts)).find((g) => g.endpoint_id === inputs.endpointId);
    let id: number;
    if (existing) {
      console.log(`[vast serverless] adopting workergroup ${existing.id} of endpoint ${inputs.endpointId}`);
      await api.updateWorkerGroup(opts, existing.id, body);
      id = existing.id;
    } else {
      try {
        id = await api.createWorkerGroup(opts, body);
      } catch (e) {
        const found = (await api.listWorkerGroups(opts)).find((g) => g.endpoint_id === inputs.endpointId);
        if (!found) throw e;
        id = found.id;
      }
    }
    return { id: String(id), outs: this.outputs(inputs, id) };
  }

  /** Reports what Vast shows and changes nothing; a vanished group leaves state. */
  async read(id: string, props: WorkerGroupOutputs): Promise<pulumi.dynamic.ReadResult> {
    const row = (await api.listWorkerGroups(this.clientOptions(props.apiUrl))).find((g) => g.id === Number(id));
    if (!row) return {};
    return { id, props: { ...props, coldWorkers: row.cold_workers ?? props.coldWorkers, maxWorkers: row.max_workers ?? props.maxWorkers } };
  }

  async update(id: string, _olds: WorkerGroupOutputs, news: WorkerGroupInputs): Promise<pulumi.dynamic.UpdateResult> {
    const opts = this.clientOptions(news.apiUrl);
    await api.updateWorkerGroup(opts, Number(id), this.body(news, opts.apiUrl));
    return { outs: this.outputs(news, Number(id)) };
  }

  /** Deletes the group, then confirms every worker instance of the endpoint is gone (destroying any left). */
  async delete(id: string, props: WorkerGroupOutputs): Promise<void> {
    const opts = this.clientOptions(props.apiUrl);
    const workers = await api.endpointWorkers(opts, props.endpointId).catch(() => []);
    const mine = workers.filter((w) => (w as { workergroup_id?: number }).workergroup_id === undefined || (w as { workergroup_id?: number }).workergroup_id === Number(id));
    console.log(`[vast serverless] deleting workergroup ${id} (${mine.length} worker(s))`);
    await api.deleteWorkerGroup(opts, Number(id));
    await releaseAndConfirm(opts, mine.map((w) => w.id));
  }
}
