// Dynamic provider for a Vast Serverless endpoint group (/endptjobs/), run inside Pulumi's
// dynamic-provider host (components/dynamic). Holds no secret in code: the Vast key is read at run
// time (vast:apiKey / VAST_API_KEY); the endpoint's own key is a secret output.
import type * as pulumi from "@pulumi/pulumi";
import { VastConfiguredProvider } from "../vast/api/credentials.ts";
import * as api from "./api.ts";
import { releaseAndConfirm } from "./workersGone.ts";
import { endpointBody } from "./wire.ts";
import { serverlessSettingsProblems, type ServerlessSettings } from "./settings.ts";

export interface EndpointInputs {
  apiUrl?: string;
  endpointName: string;
  settings: ServerlessSettings;
}

export interface EndpointOutputs extends EndpointInputs {
  endpointId: number;
  /** The endpoint's key (Vast makes it): what Vast's client sends to the route and every worker. Secret. */
  endpointKey: string;
  /** Where callers ask for a worker: the engine's /route/. */
  routeUrl: string;
  /** Vast's root certificate (what Vast's client trusts for workers' TLS). */
  caUrl: string;
}

const NAME = /^[a-zA-Z0-9_-]{1,255}$/;
const stable = (v: unknown) => JSON.stringify(v, Object.keys((v ?? {}) as object).sort());

export class VastServerlessEndpointProvider extends VastConfiguredProvider implements pulumi.dynamic.ResourceProvider {
  async check(_olds: EndpointInputs, news: EndpointInputs): Promise<pulumi.dynamic.CheckResult> {
    const failures: pulumi.dynamic.CheckFailure[] = [];
    if (typeof news.endpointName === "string" && !NAME.test(news.endpointName)) failures.push({ property: "endpointName", reason: `vast-reranker:endpointName "${news.endpointName}" must match ^[a-zA-Z0-9_-]+$` });
    if (news.settings && typeof news.settings === "object") {
      for (const reason of serverlessSettingsProblems({ ...news.settings, endpointName: "" })) failures.push({ property: "settings", reason });
    }
    if (!this.apiKey && !process.env.VAST_API_KEY) failures.push({ property: "vast:apiKey", reason: "no Vast API key: run `pulumi config set --secret vast:apiKey <key>` (or export VAST_API_KEY) before `pulumi up`" });
    return failures.length ? { failures } : { inputs: news };
  }

  async diff(_id: string, olds: EndpointOutputs, news: EndpointInputs): Promise<pulumi.dynamic.DiffResult> {
    const replaces = [...(olds.endpointName !== news.endpointName ? ["endpointName"] : []), ...((olds.apiUrl ?? "") !== (news.apiUrl ?? "") ? ["apiUrl"] : [])];
    const settings = stable(olds.settings) !== stable(news.settings);
    return { changes: replaces.length > 0 || settings, replaces, deleteBeforeReplace: true };
  }

  private outputs(inputs: EndpointInputs, row: api.EndpointRow, apiUrl: string): EndpointOutputs {
    return { ...inputs, endpointId: row.id, endpointKey: row.api_key, routeUrl: `${api.engineUrlFor(apiUrl)}/route/`, caUrl: `${apiUrl.replace(/\/+$/, "")}/static/jvastai_root.cer` };
  }

  async create(inputs: EndpointInputs): Promise<pulumi.dynamic.CreateResult> {
    const opts = this.clientOptions(inputs.apiUrl);
    const body = endpointBody(inputs.endpointName, inputs.settings);
    // Adoption: an interrupted `up` may have created it (names are unique per account): make it ours again.
    let row = (await api.listEndpoints(opts)).find((e) => e.endpoint_name === inputs.endpointName);
    if (row) {
      console.log(`[vast serverless] adopting endpoint ${row.id} (${inputs.endpointName}) left by an earlier run`);
      await api.updateEndpoint(opts, row.id, body);
    } else {
      let id: number;
      try {
        id = await api.createEndpoint(opts, body);
      } catch (e) {
        // An ambiguous failure (the server may have acted): look the name up before giving up.
        const found = (await api.listEndpoints(opts)).find((x) => x.endpoint_name === inputs.endpointName);
        if (!found) throw e;
        id = found.id;
      }
      row = (await api.getEndpoint(opts, id)) ?? undefined;
      if (!row) throw new Error(`endpoint ${id} was created but Vast does not show it`);
    }
    return { id: String(row.id), outs: this.outputs(inputs, row, opts.apiUrl) };
  }

  /** Reports what Vast shows and changes nothing. A vanished endpoint leaves state (the next `up` makes it again). */
  async read(id: string, props: EndpointOutputs): Promise<pulumi.dynamic.ReadResult> {
    const opts = this.clientOptions(props.apiUrl);
    const row = await api.getEndpoint(opts, Number(id));
    if (!row) return {};
    const settings: ServerlessSettings = {
      ...props.settings, minLoad: row.min_load, targetUtil: row.target_util, coldMult: row.cold_mult, coldWorkers: row.cold_workers,
      maxWorkers: row.max_workers, maxQueueTime: row.max_queue_time, targetQueueTime: row.target_queue_time, inactivityTimeout: row.inactivity_timeout,
    };
    return { id, props: this.outputs({ ...props, endpointName: row.endpoint_name, settings }, row, opts.apiUrl) };
  }

  /** Vast's PUT replaces the record: every knob is sent (endpointBody), never a partial body. */
  async update(id: string, olds: EndpointOutputs, news: EndpointInputs): Promise<pulumi.dynamic.UpdateResult> {
    const opts = this.clientOptions(news.apiUrl);
    await api.updateEndpoint(opts, Number(id), endpointBody(news.endpointName, news.settings));
    const row = await api.getEndpoint(opts, Number(id));
    if (!row) throw new Error(`endpoint ${id} no longer exists: run \`pulumi up --refresh\``);
    return { outs: this.outputs({ ...olds, ...news }, row, opts.apiUrl) };
  }

  /** Deletes the endpoint, then confirms every worker instance it had is gone (destroying any left). */
  async delete(id: string, props: EndpointOutputs): Promise<void> {
    const opts = this.clientOptions(props.apiUrl);
    const workers = await api.endpointWorkers(opts, Number(id)).catch(() => []);
    console.log(`[vast serverless] deleting endpoint ${id} (${props.endpointName})`);
    await api.deleteEndpoint(opts, Number(id));
    await releaseAndConfirm(opts, workers.map((w) => w.id));
  }
}
