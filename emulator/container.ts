// An emulated instance's container: the host ports Docker maps for it and the process that runs its
// launch (runtime.ts runs it for real). Called by the lifecycle in instances.ts.
import type { PortBinding } from "../components/vast/api/types.ts";
import type { Rec, RuntimeConfig } from "./record.ts";
import { OCI_EXEC_FAILED } from "./record.ts";
import { appendLog, containerEnv, freePort, launch, launchArgv, type ContainerHook } from "./runtime.ts";
import { publishedPorts } from "./validate.ts";

/**
 * Host ports for the container's published ports (`-p` env keys; ssh/jupyter ports for `*_direc`
 * runtypes). Offers without direct ports get none. `taken`: ports other live instances hold.
 */
export async function mapHostPorts(rec: Rec, taken: Set<number>): Promise<Record<string, number>> {
  const direct = (rec.offer.direct_port_count ?? 0) > 0;
  const wanted = direct ? publishedPorts(rec.req.env) : [];
  const tokens = rec.req.runtype.split(/\s+/);
  const hostPorts: Record<string, number> = {};
  for (const p of wanted) {
    // A port handed out earlier may not be bound yet (model load): never hand it out twice.
    let port = 30_000 + (rec.id % 20_000);
    for (let n = 0; p.proto === "tcp" && n < 20 && (n === 0 || taken.has(port)); n++) port = await freePort();
    taken.add(port);
    hostPorts[p.key] = port;
  }
  if (direct && tokens.some((t) => t.endsWith("_direc") || t.endsWith("_direct"))) hostPorts["22/tcp"] = rec.sshPort ?? 22;
  if (direct && tokens.some((t) => t.startsWith("jupyter_direc"))) hostPorts["8080/tcp"] = (rec.sshPort ?? 22) + 1;
  return hostPorts;
}

/** `ports` as the API shows it once running: an IPv4 and an IPv6 binding per port, HostPort a string (recorded). */
export function portBindings(hostPorts: Record<string, number>): Record<string, PortBinding[]> {
  return Object.fromEntries(Object.entries(hostPorts).map(([k, v]) => [k, [{ HostIp: "0.0.0.0", HostPort: String(v) }, { HostIp: "::", HostPort: String(v) }]]));
}

/**
 * Starts the container's main process when its launch runs something (vLLM images in args mode).
 * `onExit(msg)` is called when it ends on its own while still the record's process. A serverless
 * worker (`rec.container`) runs through `hook` (emulator/serverless: isolated, extra env).
 */
export function startContainer(rec: Rec, rt: RuntimeConfig, modelLoadMs: number, onExit: (msg: string) => void, hook: ContainerHook<Rec> | null = null): void {
  const argv = launchArgv(rec.req);
  // Tailed market, a host that never serves: `running`, ports mapped, nothing ever listens.
  if (!argv || rec.plan?.fate.kind === "never_serve" || rec.faults.has("never_serve")) return;
  const env = containerEnv({
    id: rec.id,
    runtime: rt.runtime,
    dir: rec.dir,
    image: rec.req.image,
    env: rec.req.env,
    hostPorts: rec.hostPorts,
    python: rt.python,
    modelLoadMs,
    modelLoadFail: rec.faults.has("model_load_fail"),
  });
  const run = rec.container && hook ? hook(rec, argv, { ...env, ...rec.container.extraEnv }) : { argv, env, stop: () => undefined };
  if (rec.container) rec.container.stop = run.stop;
  const proc = launch({ argv: run.argv, dir: rec.dir, logFile: rec.logFile, env: run.env });
  rec.proc = proc;
  void proc.exited.then((code) => {
    if (proc.spawnError) appendLog(rec.logFile, `[emulator] could not exec ${argv[0]}: ${proc.spawnError}`);
    else appendLog(rec.logFile, `[emulator] process exited with code ${code}`);
    if (rec.proc !== proc || proc.killing || rec.destroyed || rec.actual !== "running") return;
    // The container's main process ended, so the container did (inferred; see README).
    rec.proc = null;
    onExit(proc.spawnError
      ? `${OCI_EXEC_FAILED.split("exec:")[0]}exec: "${argv[0]}": ${proc.spawnError}: unknown`
      : `container exited with code ${code ?? "signal"}`);
  });
}
