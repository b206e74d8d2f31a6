// Serverless mode's settings (vast-reranker:mode = serverless): Vast's endpoint autoscaling knobs,
// checked before anything is created. Pure: no Pulumi, no I/O. What each knob means in Vast:
// docs/serverless.md; the endpoint body they become: endpointBody() in ./wire.ts.

export type DeploymentMode = "instance" | "serverless";
export const MODES: readonly DeploymentMode[] = ["instance", "serverless"];

export interface ServerlessSettings {
  /** Vast endpoint name; "" = `vast-reranker-<stack>` (endpointNameFor). */
  endpointName: string;
  /** Floor of hot capacity, in Vast's load units per second (0 = may scale hot workers to zero). */
  minLoad: number;
  /** Hot capacity ÷ expected load, (0, 1]: 0.9 keeps ~11 % headroom. */
  targetUtil: number;
  /** Cold (stopped) capacity as a multiple of hot capacity. */
  coldMult: number;
  /** Stopped workers kept ready to start (billed for storage only). Vast's SDK default is 5; ours is small. */
  coldWorkers: number;
  /** Hard cap of workers, hot and cold together. */
  maxWorkers: number;
  /** Seconds a request may wait in one worker's queue before the route sends it elsewhere. */
  maxQueueTime: number;
  /** Endpoint-wide queue time (s) above which Vast scales up aggressively. */
  targetQueueTime: number;
  /** Seconds without requests before hot workers may go cold (0 = no gating, negative = never). */
  inactivityTimeout: number;
}

/** Upper bound of maxWorkers: each worker is a rented GPU; Vast's own default cap is 20. */
const MAX_WORKERS = 20;

const NAME = /^[a-zA-Z0-9_-]+$/;

/** The endpoint's name on Vast: the configured one, else one derived from the stack. */
export function endpointNameFor(s: Pick<ServerlessSettings, "endpointName">, stack: string): string {
  if (s.endpointName) return s.endpointName;
  return `vast-reranker-${stack}`.replace(/[^a-zA-Z0-9_-]/g, "-").slice(0, 255);
}

/** Every problem with the serverless settings, each naming its key and the fix. */
export function serverlessSettingsProblems(s: ServerlessSettings): string[] {
  const out: string[] = [];
  const key = (k: keyof ServerlessSettings) => `vast-reranker:${k}`;
  const finite = (v: number) => Number.isFinite(v);
  if (s.endpointName && (!NAME.test(s.endpointName) || s.endpointName.length > 255)) {
    out.push(`${key("endpointName")} "${s.endpointName}" is not a valid Vast endpoint name: letters, digits, "-" and "_" only, at most 255 characters (or empty for vast-reranker-<stack>)`);
  }
  if (finite(s.minLoad) && s.minLoad < 0) out.push(`${key("minLoad")} must be >= 0 (got ${s.minLoad})`);
  if (finite(s.targetUtil) && !(s.targetUtil > 0 && s.targetUtil <= 1)) out.push(`${key("targetUtil")} must be in (0, 1], e.g. 0.9 (got ${s.targetUtil})`);
  if (finite(s.coldMult) && s.coldMult < 0) out.push(`${key("coldMult")} must be >= 0 (got ${s.coldMult})`);
  const maxOk = finite(s.maxWorkers) && Number.isInteger(s.maxWorkers) && s.maxWorkers >= 1 && s.maxWorkers <= MAX_WORKERS;
  if (finite(s.maxWorkers) && !maxOk) out.push(`${key("maxWorkers")} must be an integer from 1 to ${MAX_WORKERS} (got ${s.maxWorkers}): each worker is a rented GPU`);
  if (finite(s.coldWorkers) && !(Number.isInteger(s.coldWorkers) && s.coldWorkers >= 0)) out.push(`${key("coldWorkers")} must be an integer >= 0 (got ${s.coldWorkers})`);
  else if (maxOk && finite(s.coldWorkers) && s.coldWorkers > s.maxWorkers) {
    out.push(`${key("coldWorkers")} (${s.coldWorkers}) must not exceed ${key("maxWorkers")} (${s.maxWorkers}): maxWorkers caps hot and cold workers together`);
  }
  if (finite(s.maxQueueTime) && !(s.maxQueueTime > 0)) out.push(`${key("maxQueueTime")} must be > 0 seconds (got ${s.maxQueueTime})`);
  if (finite(s.targetQueueTime) && !(s.targetQueueTime > 0)) out.push(`${key("targetQueueTime")} must be > 0 seconds (got ${s.targetQueueTime})`);
  return out;
}

/** Instance-mode keys that mean nothing for an endpoint: set to anything but their default, they are refused. */
export function instanceOnlyProblems(c: { replicas: number; minReadyReplicas?: number; race: number }): string[] {
  const out: string[] = [];
  const hint = "it applies to vast-reranker:mode instance only; in serverless mode Vast's autoscaler sizes the endpoint (vast-reranker:maxWorkers, coldWorkers, minLoad)";
  if (c.replicas !== 1) out.push(`vast-reranker:replicas is ${c.replicas}: ${hint}`);
  if (c.minReadyReplicas !== undefined) out.push(`vast-reranker:minReadyReplicas is set: ${hint}`);
  if (c.race !== 1) out.push(`vast-reranker:race is ${c.race}: ${hint}`);
  return out;
}
