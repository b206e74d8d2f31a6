// Pure pieces of the VastInstance provider: inputs, label, diff, request body, outputs.
import type { OfferSelection } from "../offers/offerQuery.ts";
import type { CreateInstanceRequest, Instance, Offer } from "../api/types.ts";
import { hostPortOf, isPausedInterruptible } from "./bootVerdict.ts";
import type { ReplicaPlacement } from "./placement.ts";

export interface VastInstanceInputs {
  /** Optional API base URL override; else config `vast:apiUrl`, env VAST_API_URL, then the real service. */
  apiUrl?: string;
  labelPrefix: string;
  stackName: string;
  resourceName: string;
  /** Random, kept in state (a RandomId): makes the label unique and stable across interrupted runs. */
  nonce: string;
  selection: OfferSelection;
  image: string;
  env: Record<string, string>;
  /** Env values that are secrets (e.g. VLLM_API_KEY); never echoed in outputs. */
  secretEnv: Record<string, string>;
  runtype: string;
  onstart: string | null;
  args: string[];
  containerPort: number;
  maxAttempts: number;
  bootTimeoutSeconds: number;
  /**
   * Whether `up` replaces an instance a refresh found paused (an outbid interruptible one). Undefined
   * (stacks deployed before the setting) = true. Read only by diff: changing it alone changes nothing.
   */
  replacePaused?: boolean;
  /**
   * Set when the deployment has several replicas (placement.ts): keeps this one off its siblings'
   * machines when it rents. Read only by create: no replace or update key (a sibling added or
   * removed changes nothing here).
   */
  placement?: ReplicaPlacement;
  /**
   * true: a replacement creates (and the probe verifies) the new instance before the old one is
   * destroyed, at the end of the update. Undefined/false: the old one goes first (no double billing).
   * Read only by diff: changing it alone changes nothing.
   */
  createBeforeDelete?: boolean;
  /**
   * Offers rented at once per boot (vast-reranker:race); the first to serve is kept, the others are
   * destroyed. Undefined = 1. Read only by create: changing it alone changes nothing.
   */
  race?: number;
  /**
   * Set when fewer than all replicas must be ready (vast-reranker:minReadyReplicas): a boot that
   * fails on every attempt leaves a "failed" record (no instance) instead of failing the update, and
   * the next `up` replaces it. Read only by create.
   */
  tolerateBootFailure?: boolean;
  /** Filled in by check(). */
  label?: string;
}

export interface VastInstanceOutputs extends Omit<VastInstanceInputs, "secretEnv"> {
  label: string;
  secretEnvHash: string;
  instanceId: number;
  offerId: number;
  machineId: number;
  gpuName: string;
  numGpus: number;
  pricePerHour: number;
  publicIp: string;
  port: number;
  sshHost: string;
  sshPort: number;
  status: string;
  /** Paused by Vast (an outbid interruptible instance), as of the last create, update or refresh. */
  paused: boolean;
  /** Only on a failed record (status "failed", tolerateBootFailure): why every boot attempt failed. */
  failure?: string;
}

/** Status of the record a tolerated boot failure leaves: no instance exists behind it. */
const FAILED_STATUS = "failed";

/** Whether a resource is a failed record (its id names no Vast instance). */
export function isFailedRecord(id: string, props: Pick<VastInstanceOutputs, "status">): boolean {
  return props.status === FAILED_STATUS || id.startsWith("failed:");
}

/**
 * The record of a boot that failed on every attempt, when the deployment tolerates it: every instance
 * rented on the way was destroyed and confirmed gone, so the id is not a Vast id and delete has nothing to do.
 */
export function failedRecord(i: VastInstanceInputs, secretEnvHash: string, label: string, reason: string): { id: string; outs: VastInstanceOutputs } {
  const { secretEnv: _omit, ...rest } = i;
  return {
    id: `failed:${label}`,
    outs: {
      ...rest, label, secretEnvHash, instanceId: 0, offerId: 0, machineId: 0, gpuName: "", numGpus: 0, pricePerHour: 0,
      publicIp: "", port: 0, sshHost: "", sshPort: 0, status: FAILED_STATUS, paused: false, failure: reason,
    },
  };
}

/**
 * Keys whose change means a different container (or a different owner), so a new instance. Not
 * `stackName`: `pulumi stack rename` changes only the label, which is relabelled in place (as for
 * `labelPrefix`), so a rename never rents a new GPU.
 */
export const REPLACE_KEYS = ["apiUrl", "nonce", "selection", "image", "env", "secretEnvHash", "runtype", "onstart", "args", "containerPort", "resourceName"] as const;

/** Keys updated in place: the label (and what it is made of) and the boot settings of later attempts. */
export const IN_PLACE_KEYS = ["label", "labelPrefix", "stackName", "maxAttempts", "bootTimeoutSeconds"] as const;

/** Stable JSON (sorted keys) so that diffs do not depend on key order. */
export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(",")}]`;
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`).join(",")}}`;
  }
  return JSON.stringify(v ?? null);
}

/** FNV-1a 32-bit: a short, dependency-free fingerprint (not a security hash). */
export function fingerprint(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}

function slug(s: string, max: number): string {
  return s.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, max) || "x";
}

/**
 * `<prefix>.<stack>.<resource>.<nonce>.<spec>`: unique per stack, resource and container spec, so a
 * replacement never adopts the instance it replaces, yet a retried `up` finds the one it rented.
 * Vast accepts 256 chars on create; under ~64 is what other tools use, so parts are trimmed.
 */
export function instanceLabel(i: Pick<VastInstanceInputs, "labelPrefix" | "stackName" | "resourceName" | "nonce">, specHash: string): string {
  return `${labelStem(i)}${specHash.slice(0, 8)}`;
}

/** Every label this stack resource ever gives an instance starts with this (whatever the spec). */
export function labelStem(i: Pick<VastInstanceInputs, "labelPrefix" | "stackName" | "resourceName" | "nonce">): string {
  return `${[slug(i.labelPrefix, 20), slug(i.stackName, 16), slug(i.resourceName, 12), slug(i.nonce, 8)].join(".")}.`;
}

export function specHash(i: VastInstanceInputs, secretEnvHash: string): string {
  return fingerprint(stableJson({ selection: i.selection, image: i.image, env: i.env, secretEnvHash, runtype: i.runtype, onstart: i.onstart, args: i.args, containerPort: i.containerPort }));
}

/** Which REPLACE_KEYS differ between stored outputs and new inputs (both with secretEnvHash). */
export function replacedKeys(olds: Record<string, unknown>, news: Record<string, unknown>): string[] {
  // selection.rankBy only orders offers at rent time (its default changed from price to balanced): never a reason to re-rent.
  const sel = (v: unknown) => (v && typeof v === "object" ? { ...(v as Record<string, unknown>), rankBy: undefined } : v);
  return REPLACE_KEYS.filter((k) => (k === "selection" ? stableJson(sel(olds[k])) !== stableJson(sel(news[k])) : stableJson(olds[k]) !== stableJson(news[k])));
}

export function createRequest(i: VastInstanceInputs, offer: Offer, label: string): CreateInstanceRequest {
  const interruptible = i.selection.offerType === "interruptible";
  return {
    // Every key of Vast's own create body (vastai build_create_instance_payload), in its order, with its
    // defaults where this project sets nothing: the server sees what Vast's CLI and SDK send.
    client_id: "me",
    image: i.image,
    env: { ...i.env, ...i.secretEnv },
    price: interruptible ? (i.selection.bidPricePerHour ?? offer.min_bid) : null,
    disk: i.selection.diskGb,
    label,
    extra: null,
    onstart: i.onstart,
    image_login: null,
    python_utf8: false,
    lang_utf8: false,
    use_jupyter_lab: false,
    jupyter_dir: null,
    force: false,
    // Fail fast instead of a stopped instance that keeps billing storage.
    cancel_unavail: true,
    template_hash_id: null,
    user: null,
    runtype: i.runtype,
    args: i.args,
  };
}

/**
 * The error for a rent Vast refused outright (no contract), naming the config key behind the refusal
 * where Vast's answer says which (the recorded `400 invalid_args "invalid env arguments, total length
 * > 32KB"`, an `invalid_price`).
 */
export function rentRefusal(offerId: number, message: string): string {
  const base = `Vast refused to rent offer ${offerId}: ${message}`;
  if (/invalid env/i.test(message)) return `${base}. The env comes from vast-reranker:env (plus the generated VLLM_API_KEY): shorten it; Vast refuses an env over 32 KB`;
  if (/invalid_price/i.test(message)) return `${base}. The bid comes from vast-reranker:bidPricePerHour (else the offer's min_bid): set it between 0.001 and 128 $/h`;
  return base;
}

export function outputsFrom(i: VastInstanceInputs, secretEnvHash: string, inst: Instance, offerId: number): VastInstanceOutputs {
  const { secretEnv: _omit, ...rest } = i;
  return {
    ...rest,
    label: inst.label ?? i.label ?? "",
    secretEnvHash,
    instanceId: inst.id,
    offerId,
    machineId: inst.machine_id,
    gpuName: inst.gpu_name,
    numGpus: inst.num_gpus,
    pricePerHour: inst.dph_total,
    publicIp: (inst.public_ipaddr ?? "").trim(),
    port: hostPortOf(inst, i.containerPort) ?? 0,
    sshHost: (inst.ssh_host ?? "").trim(),
    sshPort: inst.ssh_port ?? 0,
    status: inst.actual_status ?? "provisioning",
    paused: isPausedInterruptible(inst),
  };
}
