// The market benchmark's replay: one lane's boot decisions (components/vast/instance/watchBoot.ts
// and logWatch.ts: status-poll schedule, /health between polls, log-read schedule, stall verdict on
// progress, re-rank after a failure) computed in simulated time on the seed's market and host plans
// (emulator/tail.ts, emulator/logs.ts), without emulator or timers: 20 000 deploys in seconds, for
// outcomes too rare for 30 emulator runs. Uses the product's pure pieces, so a change of the
// verdict or the ranking shows here too; the poll loop itself is mirrored, and
// tests/bench/marketReplay.test.ts checks it against the real boot code through the emulator.
import { bootPlan, DEFAULT_TAIL, tailedMarket } from "../../emulator/tail.ts";
import { pullSchedule, STALL_AT } from "../../emulator/logs.ts";
import type { Offer } from "../../components/vast/api/types.ts";
import { expectedBoot } from "../../components/vast/instance/bootExpectation.ts";
import { nextPollDelayMs } from "../../components/vast/instance/bootVerdict.ts";
import { LOG_READS } from "../../components/vast/instance/logWatch.ts";
import { DEFAULT_STALL_POLICY, DEFAULT_TUNING, judgeStall, msUntilStall, type BootObservation, type StallPolicy } from "../../components/vast/instance/stallVerdict.ts";
import { rankAfterFailure, rankOffers } from "../../components/vast/offers/offerRanking.ts";
import { BASE_OFFER, marketInputs, type DeployResult, type Policy } from "./marketPolicies.ts";

/** Status-poll floor and cap, the emulator's `pendingMs` and bootTimeoutSeconds, in seconds. */
const FLOOR = 2.1, CAP = 12, PENDING = 5, LIMIT = 900;

interface HostTimeline {
  running: number;
  serves: number;
  statusAt: (x: number) => string | null;
  /** Lines each log shows at x (-1: no log yet: "No such file" / "No such container"). */
  daemonLines: (x: number) => number;
  containerLines: (x: number) => number;
}

function timeline(plan: ReturnType<typeof bootPlan>, t: number): HostTimeline {
  const created = t + PENDING, loading = created + plan.createdMs / 1000;
  const stalls = plan.fate.kind === "stall_loading";
  const running = stalls ? Infinity : loading + plan.loadingMs / 1000;
  const serves = plan.fate.kind === "never_serve" ? Infinity : running + plan.modelLoadMs / 1000;
  const pull = pullSchedule(0, "img", plan.loadingMs).map((e) => e.at / 1000).filter((at) => !stalls || at <= (plan.loadingMs / 1000) * STALL_AT);
  const startup = plan.fate.kind === "never_serve" ? [] : [0, 0, plan.modelDownloadMs / 1000, plan.modelLoadMs / 1000];
  const count = (xs: number[], since: number, x: number) => (x < since ? -1 : xs.filter((a) => since + a <= x).length);
  return {
    running, serves,
    statusAt: (x) => (x < created ? null : x < loading ? "created" : x < running ? "loading" : "running"),
    daemonLines: (x) => count(pull, loading, x),
    containerLines: (x) => (x < running ? -1 : count(startup, running, x)),
  };
}

/** One attempt from its rent at `t`: served at `at`, or given up at `at` (stall verdict or bootTimeoutSeconds). */
function attempt(offer: Offer, h: HostTimeline, t: number, stallAware: boolean, policy: StallPolicy, healthS: number, show: (at: number) => number): { ok: boolean; at: number } {
  const exp = expectedBoot(offer);
  const logs = { progressAt: -Infinity, readable: { daemon: false, container: false }, marks: { daemon: -1, container: -1 }, due: {} as Record<string, number>, lastReadAt: -Infinity };
  const read = (kind: "daemon" | "container", x: number) => {
    logs.lastReadAt = x;
    const n = kind === "daemon" ? h.daemonLines(x) : h.containerLines(x);
    if (n <= 0) return; // no log yet (or an empty one: never serving)
    logs.readable[kind] = true;
    if (n !== logs.marks[kind]) [logs.marks[kind], logs.progressAt] = [n, Math.max(logs.progressAt, x)];
  };
  const tick = (x: number, kind: "daemon" | "container", since: number, suspicious: boolean) => {
    const first = kind === "daemon" ? LOG_READS.daemonFirstMs : LOG_READS.containerFirstMs;
    const due = (logs.due[kind] ??= since + first / 1000);
    if (x < (suspicious ? Math.min(due, logs.lastReadAt + LOG_READS.suspiciousEveryMs / 1000) : due)) return;
    logs.due[kind] = x + (kind === "daemon" ? LOG_READS.daemonEveryMs : LOG_READS.containerEveryMs) / 1000;
    read(kind, x);
  };
  let tau = show(t + FLOOR), seen: string | null | undefined, progressAt = t, runSeen: number | null = null, k = 0;
  for (;;) {
    const st = h.statusAt(tau);
    if (st !== seen) [seen, progressAt, k, runSeen] = [st, tau, 0, st === "running" ? (runSeen ?? tau) : runSeen]; // status_msg changes with it
    if (st === "running" && h.serves <= tau) return { ok: true, at: tau };
    const kind = st === "running" ? "container" : "daemon";
    const since = st === "running" ? (runSeen as number) : t;
    const obs = (x: number): BootObservation => ({ status: st, portMapped: st === "running", healthy: st === "running" ? false : null, msSinceProgress: (x - Math.max(progressAt, logs.progressAt)) * 1000, logRead: logs.readable[kind] });
    let until = stallAware ? msUntilStall(obs(tau), exp, policy) / 1000 : Infinity;
    tick(tau, kind, since, obs(tau).msSinceProgress / 1000 > until);
    if (stallAware) {
      if (judgeStall(obs(tau), exp, policy).kind === "stalled") read(kind, tau); // the confirming read
      if (judgeStall(obs(tau), exp, policy).kind === "stalled") return { ok: false, at: tau };
      until = msUntilStall(obs(tau), exp, policy) / 1000;
    }
    if (tau - t >= LIMIT) return { ok: false, at: tau };
    const next = tau + Math.min(nextPollDelayMs(k++, CAP * 1000, FLOOR * 1000) / 1000, until, Math.max(0, t + LIMIT - tau));
    if (st === "running") {
      // /health between status polls; the container-log schedule runs on with it.
      for (let x = tau + healthS; next - x > 0; x += healthS) {
        if (h.serves <= x) return { ok: true, at: x };
        tick(x, kind, since, obs(x).msSinceProgress / 1000 > until);
      }
    }
    tau = show(next);
  }
}

/** One seeded deploy, replayed (single lane: race is not replayed). */
export function replayDeploy(seed: number, policy: Policy, stallPolicy: StallPolicy = DEFAULT_STALL_POLICY): DeployResult {
  const tail = { ...DEFAULT_TAIL, seed, timeScale: 1 };
  const sel = marketInputs(seed, policy).selection;
  const tuning = { ...DEFAULT_TUNING, ...policy.tuning };
  const reranks = tuning.rerankAfterFailure && policy.rankBy === "balanced";
  let offers = rankOffers(tailedMarket(BASE_OFFER, seed), sel);
  let t = 0, lastShow = -Infinity, failedCost = 0, honest = 0, attempts = 0;
  const show = (at: number) => (lastShow = Math.max(at, lastShow + FLOOR)); // every GET /instances/{id} waits for the floor
  while (attempts < 3 && offers.length) {
    const offer = offers.shift() as Offer;
    attempts++;
    const plan = bootPlan(tail, offer as Offer & { disk_bw?: number }, 1);
    const r = attempt(offer, timeline(plan, t), t, policy.failover === "stall", stallPolicy, tuning.healthPollMs / 1000, show);
    if (r.ok) return { ok: true, seconds: r.at, attempts, failedCost, raceCost: 0, honest, leaked: 0, reasons: [] };
    failedCost += (Number(offer.dph_total) * (r.at - t)) / 3600;
    if (plan.fate.kind === "ok") honest++;
    t = show(r.at); // DELETE, then the GET that confirms it is gone
    if (reranks && attempts === 1) offers = rankAfterFailure(offers, sel);
  }
  return { ok: false, seconds: t, attempts, failedCost, raceCost: 0, honest, leaked: 0, reasons: [] };
}
