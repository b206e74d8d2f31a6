// The boot verdict on every recorded status_msg sample (collected__status_msg-samples.json), with the
// states seen beside it: fatal text fails, pull and build lines wait, running wins over stale text,
// a boot Vast gave up fails at once.
import { describe, expect, it } from "vitest";
import type { ActualStatus, Instance } from "../../components/vast/api/types.ts";
import { judgeBoot } from "../../components/vast/instance/bootVerdict.ts";
import { recorded } from "./recorded.ts";

interface Sample {
  status_msg: string | null;
  actual_status?: string | null;
  intended_status?: string;
  cur_state?: string;
  next_state?: string;
  source: string;
}

const STATUSES = ["created", "loading", "running", "stopped", "exited", "offline", "unknown"];
const word = (v: string | null | undefined) => (v && STATUSES.includes(v) ? v : undefined);

/** Expected verdict per sample (keyed by its status_msg); "ready" samples get 8000/tcp mapped. */
const EXPECTED: Record<string, "ready" | "pending" | "failed"> = {
  "success, running vastai/base-image_cuda-12.4.1-cudnn-devel-ubuntu22.04/ssh": "ready",
  "Error response from daemon: manifest for vastai/test:cuda-12.4.1-cudnn9 not found": "failed", // manifest … not found
  "Error response from daemon: failed to create task for container: failed to create shim task: OCI runtime create failed: could not apply required modification to OCI specification: error modifying OCI spec: failed to inject CDI devices: unresolvable CDI devices": "failed",
  "Error response from daemon: failed to create task for container: failed to create shim task:\nOCI runtime create failed: runc create failed: unable to start container process:\nexec: \"echo IN_CONTAINER > /tmp/marker; date >> /tmp/marker; uname -a >> /tmp/marker\":\nstat echo IN_CONTAINER > /tmp/marker; date >> /tmp/marker; uname -a >> /tmp/marker:\nno such file or directory: unknown": "failed",
  "Error response from daemon: unknown or invalid runtime name: nvidia": "failed", // recorded; never reached running
  "Error: Internal error.": "pending", // no marker: Vast's own verdict (stopped) or the timeouts decide
  "success, running cbrodski/transcriber:official_v2_dev": "ready",
  "4f4fb700ef54: Pull complete\n": "pending",
  "4c7d45f7c63c: Download complete": "pending",
  "Template not found": "failed",
  "Pulling from aetherneo/anime-factory-gpu": "pending",
  "#7 4.226 Get:70 http://archive.ubuntu.com/ubuntu noble/main amd64 liberror-perl all 0.17029-2 [25.6 kB]": "pending", // build progress
  "Error response from daemon: stale build status": "ready", // running (intended and actual) wins
  "Error response from daemon: manifest for vastai/test:self-test-v2-cuda-99 not found": "failed",
  "docker_build() error writing dockerfile": "pending", // no marker (Vast's CLI b3bcd054 does not fail on it either)
  "Error: container failed to start: OCI runtime create failed": "failed",
  "pull access denied for private/image, repository does not exist or may require authorization": "failed",
  "unauthorized: authentication required": "failed",
  "success, running nvidia/cuda_11.0.3-devel-ubuntu18.04/ssh": "ready",
};
const NULL_MSG = "pending"; // status_msg null, actual_status null while cur_state reads loading

function instanceOf(s: Sample, ready: boolean): Instance {
  const actual = (word(s.actual_status) ?? null) as ActualStatus;
  return {
    id: 1, actual_status: actual, intended_status: word(s.intended_status) ?? "running", cur_state: s.cur_state ?? "running",
    next_state: s.next_state ?? "running", status_msg: s.status_msg, label: null, is_bid: false, image_uuid: "i", extra_env: [],
    machine_id: 1, host_id: 1, num_gpus: 1, gpu_name: "g", gpu_ram: 1, disk_space: 1, dph_total: 1,
    public_ipaddr: actual === "running" ? "203.0.113.7" : null, ssh_host: null, ssh_port: null,
    ports: ready && actual === "running" ? { "8000/tcp": [{ HostIp: "0.0.0.0", HostPort: "41000" }, { HostIp: "::", HostPort: "41000" }] } : {},
    direct_port_start: -1, direct_port_end: -1, start_date: 1,
  };
}

const samples = recorded<Sample[]>("collected__status_msg-samples.json");

describe("boot verdict on the recorded status_msg samples", () => {
  it("has an expectation for every sample", () => {
    expect(samples.length).toBeGreaterThanOrEqual(20);
    for (const s of samples) if (s.status_msg !== null) expect(Object.keys(EXPECTED), s.status_msg).toContain(s.status_msg);
  });

  it.each(samples.map((s, i) => [i, s.status_msg === null ? "(null)" : s.status_msg.slice(0, 70), s] as const))("#%i %s", (_i, _name, s) => {
    const want = s.status_msg === null ? NULL_MSG : EXPECTED[s.status_msg]!;
    const v = judgeBoot(instanceOf(s, true), 8000, 30_000);
    expect(v.kind, JSON.stringify(v)).toBe(want);
    if (want === "failed" && s.status_msg) expect(v.kind === "failed" && v.reason).toContain(s.status_msg.trim());
  });

  it("a sample whose intended_status Vast later flipped to stopped fails as an abandoned boot as well", () => {
    const flipped = samples.find((s) => /then stopped/.test(s.intended_status ?? "")) as Sample;
    const v = judgeBoot(instanceOf({ ...flipped, intended_status: "stopped", cur_state: "stopped", next_state: "stopped" }, false), 8000, 420_000);
    expect(v.kind === "failed" && v.reason).toMatch(/^Vast gave the boot up/);
  });

  it("running with stale error text is not failed even before its port is mapped", () => {
    const stale = samples.find((s) => s.status_msg === "Error response from daemon: stale build status") as Sample;
    expect(judgeBoot(instanceOf(stale, false), 8000, 30_000)).toEqual({ kind: "pending", phase: "running, waiting for 8000/tcp to be mapped" });
  });
});
