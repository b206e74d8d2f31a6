import { describe, expect, it } from "vitest";
import { fatalStatusMessage, hostPortOf, isAbandonedBoot, isPausedInterruptible, judgeBoot, nextPollDelayMs } from "../../components/vast/instance/bootVerdict.ts";
import type { Instance } from "../../components/vast/api/types.ts";

function inst(over: Partial<Instance>): Instance {
  return {
    id: 7, actual_status: null, intended_status: "running", cur_state: "running", status_msg: null, label: "l",
    is_bid: false, image_uuid: "vllm/vllm-openai:v0.33.0", extra_env: [], machine_id: 3, host_id: 1, num_gpus: 1,
    gpu_name: "RTX 4090", gpu_ram: 24564, disk_space: 40, dph_total: 0.4, public_ipaddr: null, ssh_host: null,
    ssh_port: null, ports: null, direct_port_start: -1, direct_port_end: -1, start_date: 1, ...over,
  } as Instance;
}
const running = { actual_status: "running" as const, public_ipaddr: " 1.2.3.4 \n", ports: { "8000/tcp": [{ HostIp: "0.0.0.0", HostPort: "41234" }] } };

describe("judgeBoot", () => {
  it("is ready only when running with 8000/tcp mapped and an IP", () => {
    expect(judgeBoot(inst(running), 8000, 1000)).toEqual({ kind: "ready", ip: "1.2.3.4", port: 41234 });
    expect(judgeBoot(inst({ ...running, ports: {} }), 8000, 1000).kind).toBe("pending");
    expect(judgeBoot(inst({ ...running, public_ipaddr: "" }), 8000, 1000).kind).toBe("pending");
  });
  it("treats a missing instance as pending during the grace period, then as failed", () => {
    expect(judgeBoot(null, 8000, 5_000).kind).toBe("pending");
    expect(judgeBoot(null, 8000, 61_000)).toMatchObject({ kind: "failed", reason: expect.stringContaining("disappeared") });
  });
  it.each(["exited", "unknown", "offline"] as const)("fails fast on %s and keeps status_msg", (s) => {
    const v = judgeBoot(inst({ actual_status: s, status_msg: "pull access denied" }), 8000, 1);
    expect(v).toEqual({ kind: "failed", reason: `instance is ${s}: pull access denied` });
  });
  it("fails fast on fatal text (OCI errors while still 'created'), not on the word Error alone", () => {
    expect(judgeBoot(inst({ actual_status: "created", status_msg: "Error response from daemon: failed to create task: OCI runtime create failed: nvidia" }), 8000, 1)).toEqual({
      kind: "failed", reason: "boot error (oci runtime): Error response from daemon: failed to create task: OCI runtime create failed: nvidia",
    });
    // Vast's CLI (b3bcd054) fails only on known markers; a bare "Error" is left to Vast's own verdict and the timeouts.
    expect(judgeBoot(inst({ actual_status: "loading", status_msg: "Error: Internal error." }), 8000, 1)).toEqual({ kind: "pending", phase: "loading" });
    expect(judgeBoot(inst({ actual_status: "loading", status_msg: "Error response from daemon: manifest for x/y:1 not found" }), 8000, 1).kind).toBe("failed");
  });
  it("lets running (intended and actual) win over stale error text", () => {
    expect(judgeBoot(inst({ ...running, status_msg: "Error response from daemon: stale build status" }), 8000, 1)).toEqual({ kind: "ready", ip: "1.2.3.4", port: 41234 });
    expect(judgeBoot(inst({ ...running, intended_status: "stopped", status_msg: "x" }), 8000, 1)).toEqual({ kind: "failed", reason: "instance running but intended_status is stopped: x" });
  });
  it("fails an abandoned boot at once, with or without error text", () => {
    const gaveUp = { intended_status: "stopped", cur_state: "stopped", next_state: "stopped" };
    expect(judgeBoot(inst({ ...gaveUp, actual_status: "loading", status_msg: "4f4fb700ef54: Pull complete" }), 8000, 1)).toEqual({
      kind: "failed", reason: "Vast gave the boot up (intended_status stopped, cur_state stopped while actual_status is loading): 4f4fb700ef54: Pull complete",
    });
    expect(judgeBoot(inst({ ...gaveUp, actual_status: "created" }), 8000, 1).kind).toBe("failed");
    expect(judgeBoot(inst({ ...gaveUp, actual_status: null }), 8000, 1).kind).toBe("failed");
    // Only intended stopped is enough, too (Vast's CLI b3bcd054: intended_status terminal before running).
    expect(judgeBoot(inst({ intended_status: "stopped", actual_status: "loading" }), 8000, 1).kind).toBe("failed");
    expect(isAbandonedBoot(inst({ actual_status: "loading" }))).toBe(false);
  });
  it("reports the phase while loading", () => {
    expect(judgeBoot(inst({ actual_status: "loading", status_msg: "pulling layers" }), 8000, 1)).toEqual({ kind: "pending", phase: "loading" });
    expect(judgeBoot(inst({}), 8000, 1)).toEqual({ kind: "pending", phase: "provisioning" });
  });
  it("fails on an unexpectedly stopped instance", () => {
    expect(judgeBoot(inst({ actual_status: "stopped" }), 8000, 1).kind).toBe("failed");
  });
  it("classifies fatal text by Vast's markers, case-insensitively; pull and build lines are progress", () => {
    expect(fatalStatusMessage("unauthorized: authentication required")).toBe("unauthorized");
    expect(fatalStatusMessage("Template not found")).toBe("template not found");
    expect(fatalStatusMessage("Error response from daemon: pull access denied for x")).toBe("pull access denied");
    expect(fatalStatusMessage("error: requested access to the resource is denied")).toBe("requested access … denied");
    for (const progress of ["4f4fb700ef54: Pull complete", "Pulling from vllm/vllm-openai", "#7 4.226 Get:70 http://archive.ubuntu.com/ubuntu noble/main amd64 liberror-perl all 0.17029-2 [25.6 kB]", "", null]) {
      expect(fatalStatusMessage(progress)).toBeUndefined();
    }
  });
});

describe("helpers", () => {
  it("reads the host port as a number from the string HostPort", () => {
    expect(hostPortOf(inst(running), 8000)).toBe(41234);
    expect(hostPortOf(inst(running), 22)).toBeUndefined();
  });
  it("backs off polls up to the cap", () => {
    const delays = Array.from({ length: 12 }, (_, i) => nextPollDelayMs(i));
    expect(delays[0]).toBe(1000);
    expect(delays.every((d, i) => i === 0 || d >= delays[i - 1])).toBe(true);
    expect(Math.max(...delays)).toBe(10_000);
  });
  it("spots paused (outbid) interruptible instances", () => {
    expect(isPausedInterruptible(inst({ ...running, is_bid: true }))).toBe(false);
    // The Terraform provider's test (intended running, actual stopped) and dstack's (all three states stopped).
    expect(isPausedInterruptible(inst({ is_bid: true, actual_status: "stopped" }))).toBe(true);
    expect(isPausedInterruptible(inst({ is_bid: true, actual_status: "stopped", intended_status: "stopped", cur_state: "stopped", next_state: "stopped" }))).toBe(true);
    expect(isPausedInterruptible(inst({ is_bid: false, actual_status: "stopped" }))).toBe(false); // on demand: never outbid
    expect(isPausedInterruptible(inst({ is_bid: true, actual_status: "offline" }))).toBe(false); // dead, not paused
  });
  it("fails a boot that was outbid", () => {
    const v = judgeBoot(inst({ is_bid: true, actual_status: "stopped", intended_status: "stopped", cur_state: "stopped", next_state: "stopped", status_msg: "Instance outbid" }), 8000, 1);
    expect(v).toEqual({ kind: "failed", reason: "interruptible instance paused (outbid): Instance outbid" });
  });
});
