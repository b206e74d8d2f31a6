// Dynamic provider for one Vast.ai instance, run inside Pulumi's dynamic-provider host (loaded from
// the project, components/dynamic). It holds no secret in code or state: the Vast key is read at
// run time in configure() (vast:apiKey) or from env.
import type * as pulumi from "@pulumi/pulumi";
import type { Instance } from "../api/types.ts";
import * as vast from "../api/client.ts";
import {
  IN_PLACE_KEYS, failedRecord, instanceLabel, isFailedRecord, outputsFrom, replacedKeys, specHash, stableJson,
  type VastInstanceInputs, type VastInstanceOutputs,
} from "./instanceLogic.ts";
import { TrackedInstanceError } from "./bootErrors.ts";
import { validateInstanceInputs } from "./validate.ts";
import { VastConfiguredProvider } from "../api/credentials.ts";
import { machineConflict, placeOffers } from "./placement.ts";

/**
 * The boot (boot.ts and the ~12 modules behind it) and refresh's second look load on first use:
 * check and diff, all a preview or a no-change `up` runs, never need them.
 */
const boot = () => import("./boot.ts");
const refreshRead = () => import("./refreshRead.ts");

const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

function sha256(s: string): string {
  const { createHash } = process.getBuiltinModule("node:crypto");
  return createHash("sha256").update(s).digest("hex");
}

function secretEnvHash(secretEnv: Record<string, string> | undefined): string {
  return sha256(stableJson(secretEnv ?? {}));
}

/** Error that makes Pulumi record a created-but-not-ready instance instead of forgetting it. */
function initError(message: string, id: number, properties: Record<string, unknown>): Error {
  const e = new Error(message) as Error & { id: string; properties: Record<string, unknown>; reasons: string[] };
  e.id = String(id);
  e.properties = properties;
  e.reasons = [message];
  return e;
}

export class VastInstanceProvider extends VastConfiguredProvider implements pulumi.dynamic.ResourceProvider {
  async check(_olds: VastInstanceInputs, news: VastInstanceInputs): Promise<pulumi.dynamic.CheckResult> {
    // The configured URL (vast:apiUrl / VAST_API_URL) is checked too, though only an input override is stored.
    const failures = validateInstanceInputs({ ...news, apiUrl: news.apiUrl ?? (this.apiUrl || process.env.VAST_API_URL || undefined) }, UNKNOWN);
    if (!this.apiKey && !process.env.VAST_API_KEY) {
      failures.push({ property: "vast:apiKey", reason: "no Vast API key: run `pulumi config set --secret vast:apiKey <key>` (or export VAST_API_KEY) before `pulumi up`" });
    }
    if (failures.length) return { failures };
    // __provider is skipped: it is this code, which contains the sentinel itself.
    // placement too: a sibling added in the same update has no stem yet in a preview, which changes nothing here.
    const { __provider: _code, placement: _placement, ...values } = news as VastInstanceInputs & { __provider?: string };
    const hasUnknown = JSON.stringify(values).includes(UNKNOWN);
    const label = hasUnknown ? UNKNOWN : instanceLabel(news, specHash(news, secretEnvHash(news.secretEnv)));
    return { inputs: { ...news, label } };
  }

  async diff(id: string, olds: VastInstanceOutputs, news: VastInstanceInputs): Promise<pulumi.dynamic.DiffResult> {
    const next: Record<string, unknown> = { ...news, secretEnvHash: secretEnvHash(news.secretEnv) };
    // In a preview of a label-stem update (prefix change, `pulumi stack rename`) the sweeper's nonce is
    // unknown, although the update keeps it. When the sweeper is replaced instead (new apiUrl or
    // resource name), those keys replace the instance too; `up` diffs again with the real nonce.
    if (news.nonce === UNKNOWN) next.nonce = olds.nonce;
    // A host that went offline, or a container that exited, after the deploy never serves again
    // (Vast's advice: destroy and rent elsewhere). `pulumi refresh` records the status; the next
    // `up` replaces the instance (the dead one is destroyed first) and the probe runs again.
    // A failed record (a tolerated boot failure) holds no instance: the next `up` tries again.
    const dead = olds.status === "offline" || olds.status === "exited" || isFailedRecord(id, olds);
    // An outbid interruptible instance is paused and may resume by itself; by default (replacePaused)
    // the next `up` replaces it, since a paused instance serves nothing and bills storage meanwhile.
    const pausedOut = !dead && olds.paused === true && news.replacePaused !== false;
    const replaces = [...replacedKeys(olds as unknown as Record<string, unknown>, next), ...(dead ? ["status"] : []), ...(pausedOut ? ["paused"] : [])];
    const inPlace = IN_PLACE_KEYS.filter((k) => stableJson((olds as unknown as Record<string, unknown>)[k]) !== stableJson(next[k]));
    // Two paid GPUs for one endpoint is a cost, not a feature: the old one goes first, unless the
    // deployment asked for create-first (replicas: no moment without a verified endpoint).
    return { changes: replaces.length + inPlace.length > 0, replaces, deleteBeforeReplace: news.createBeforeDelete !== true };
  }

  async create(inputs: VastInstanceInputs): Promise<pulumi.dynamic.CreateResult> {
    const opts = this.clientOptions(inputs.apiUrl);
    const label = inputs.label ?? instanceLabel(inputs, specHash(inputs, secretEnvHash(inputs.secretEnv)));
    const hash = secretEnvHash(inputs.secretEnv);
    const persisted = withoutSecrets(inputs);
    try {
      const placement = inputs.placement;
      const replicated = placement !== undefined && placement.stems.length > 1;
      const { instance, offerId } = await (await boot()).bootInstance({
        // Replicas booting together share one offer search (Vast: ~10 a minute per key) and so rank the
        // same market; their rents and instance lists are spaced by Vast's per-key thresholds.
        opts: replicated ? { ...opts, shareSearchMs: 6_000, paceReplicas: true } : opts, inputs, label, log: (m) => console.log(`[vast ${label}] ${m}`),
        ...(replicated ? {
          placeOffers: async (ranked) => placeOffers(placement, ranked, await vast.listInstances(opts), label),
          machineConflict: async (inst) => machineConflict(placement, inst, await vast.listInstances(opts), label),
        } : {}),
      });
      return { id: String(instance.id), outs: outputsFrom({ ...inputs, label }, hash, instance, offerId) };
    } catch (e) {
      // Not tracked = every instance rented on the way is destroyed and confirmed gone: with
      // minReadyReplicas below replicas, record the failure and let the others serve.
      if (!(e instanceof TrackedInstanceError) && inputs.tolerateBootFailure === true) {
        console.log(`[vast ${label}] boot failed, recorded (minReadyReplicas tolerates it): ${(e as Error).message}`);
        return failedRecord({ ...inputs, label }, hash, label, (e as Error).message);
      }
      if (!(e instanceof TrackedInstanceError)) throw e;
      // persisted carries __provider, which later read/delete calls need: for a created-but-not-ready
      // resource the engine stores exactly these properties, and the host adds no __provider to them.
      throw initError(`${e.message}. Instance ${e.trackedId} is kept in state: \`pulumi up\` resumes it, \`pulumi destroy\` removes it`, e.trackedId, { ...persisted, label, secretEnvHash: hash, instanceId: e.trackedId, status: "initializing" });
    }
  }

  /**
   * Reports what Vast shows and changes nothing: the engine calls read in `pulumi refresh` and in
   * `pulumi preview --refresh`. A vanished instance (gone by its id and by its label, refreshRead.ts)
   * leaves state (next `up` rents anew); a dead one (`exited`, or `offline` for a minute) or a paused
   * interruptible one keeps its id with its status in the outputs, and `diff` plans the replacement
   * that `up` carries out (the old one destroyed first).
   */
  async read(id: string, props: VastInstanceOutputs): Promise<pulumi.dynamic.ReadResult> {
    if (isFailedRecord(id, props)) return { id, props };
    const opts = this.clientOptions(props.apiUrl);
    const inst = await (await refreshRead()).readForRefresh(opts, Number(id), { label: props.label, scale: opts.waitScale, log: (m) => console.log(`[vast ${props.label}] ${m}`) });
    if (inst === null) return {};
    return { id, props: this.refreshed(props, inst) };
  }

  private refreshed(props: VastInstanceOutputs, inst: Instance): VastInstanceOutputs {
    const fresh = outputsFrom({ ...props, secretEnv: {} } as VastInstanceInputs, props.secretEnvHash, inst, props.offerId);
    // Keep the last known endpoint while the host is briefly unreachable.
    return { ...fresh, publicIp: fresh.publicIp || props.publicIp, port: fresh.port || props.port };
  }

  async update(id: string, olds: VastInstanceOutputs, news: VastInstanceInputs): Promise<pulumi.dynamic.UpdateResult> {
    const opts = this.clientOptions(news.apiUrl);
    const hash = secretEnvHash(news.secretEnv);
    const label = news.label ?? olds.label;
    if (olds.status === "initializing" || !olds.port) {
      // A previous `up` rented this instance but did not see it ready: resume waiting for it.
      const { instance } = await (await boot()).bootInstance({ opts, inputs: news, label, log: (m) => console.log(`[vast ${label}] ${m}`), resumeId: Number(id) });
      return { outs: outputsFrom({ ...news, label }, hash, instance, olds.offerId ?? 0) };
    }
    if (label !== olds.label) await vast.setInstanceLabel(opts, Number(id), label);
    const inst = await vast.showInstance(opts, Number(id)) ?? (await vast.findInstancesByLabel(opts, label)).find((i) => i.id === Number(id) && i.cur_state !== "unloaded");
    if (!inst) throw new Error(`instance ${id} no longer exists: run \`pulumi up --refresh\` to drop it from state and rent a new one`);
    return { outs: { ...this.refreshed({ ...olds, ...withoutSecrets(news), label, secretEnvHash: hash } as VastInstanceOutputs, inst), label } };
  }

  async delete(id: string, props: VastInstanceOutputs): Promise<void> {
    if (isFailedRecord(id, props)) return;
    const opts = this.clientOptions(props.apiUrl);
    console.log(`[vast] destroying instance ${id}`);
    await vast.destroyAndConfirm(opts, Number(id));
  }
}

function withoutSecrets(i: VastInstanceInputs): Omit<VastInstanceInputs, "secretEnv"> {
  const { secretEnv: _s, ...rest } = i;
  return rest;
}

