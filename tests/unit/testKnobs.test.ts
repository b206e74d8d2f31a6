// Test knobs cannot reach production (components/testKnobs.ts): they apply only when the effective
// API URL is loopback, and each one applied or ignored says so. Checked on the pure gate and on the
// provider's option resolution (credentials.ts), with the knobs really set in the environment.
import { afterEach, describe, expect, it } from "vitest";
import { gateTestKnobs, isLoopbackUrl, PROVIDER_TEST_KNOBS } from "../../components/testKnobs.ts";
import { DEFAULT_API_URL, vastClientOptions } from "../../components/vast/api/credentials.ts";
import { probeKnobOverrides } from "../../components/rerankerDeployment.ts";

const KNOBS = { VAST_TEST_POLL_FLOOR_MS: "50", VAST_TEST_POLL_CAP_MS: "100", VAST_TEST_BACKOFF_MS: "20", VAST_TEST_WAIT_SCALE: "0.05" };
const saved = { ...process.env };
afterEach(() => {
  for (const k of [...Object.keys(KNOBS), "VAST_API_URL", "VAST_POLL_FIRST_MS"]) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});

describe("isLoopbackUrl", () => {
  it.each([
    ["http://127.0.0.1:8081", true], ["http://127.3.2.1", true], ["http://localhost:9", true], ["http://[::1]:80", true],
    ["https://console.vast.ai", false], ["http://10.0.0.5:8081", false], ["http://127.0.0.1.example.com", false], ["not a url", false],
  ])("%s → %s", (url, loop) => expect(isLoopbackUrl(url)).toBe(loop));
});

describe("the provider's knobs", () => {
  it("are ignored against real Vast, and say so, one line per knob", () => {
    Object.assign(process.env, KNOBS);
    const lines: string[] = [];
    const o = vastClientOptions("key", DEFAULT_API_URL, (l) => lines.push(l));
    expect(o).toStrictEqual({ apiUrl: DEFAULT_API_URL, apiKey: "key", backoffMs: undefined, pollFloorMs: undefined, pollCapMs: undefined, waitScale: undefined });
    for (const k of Object.keys(KNOBS)) expect(lines.join("\n")).toContain(`test knob ${k}=${KNOBS[k as keyof typeof KNOBS]} ignored: test knobs work only against a loopback API URL, and vast:apiUrl / VAST_API_URL is https://console.vast.ai`);
  });

  it("apply against the emulator's loopback URL (config or VAST_API_URL), and say so", () => {
    Object.assign(process.env, KNOBS);
    const lines: string[] = [];
    expect(vastClientOptions("key", "http://127.0.0.1:1234", (l) => lines.push(l))).toMatchObject({ backoffMs: 20, pollFloorMs: 50, pollCapMs: 100, waitScale: 0.05 });
    expect(lines.join("\n")).toMatch(/test knob VAST_TEST_WAIT_SCALE=0\.05 applied \(API URL http:\/\/127\.0\.0\.1:1234 is loopback\)/);
    process.env.VAST_API_URL = "http://127.0.0.1:4321";
    expect(vastClientOptions("key", undefined, () => undefined).pollFloorMs).toBe(50);
    // The effective URL is config first: a non-loopback config beats a loopback VAST_API_URL.
    expect(vastClientOptions("key", "https://console.vast.ai", () => undefined).pollFloorMs).toBeUndefined();
  });

  it("an old name (before the rename) is ignored and says so", () => {
    process.env.VAST_POLL_FIRST_MS = "50";
    const lines: string[] = [];
    expect(vastClientOptions("key", "http://127.0.0.1:1", (l) => lines.push(l)).pollFloorMs).toBeUndefined();
    expect(lines.join("\n")).toMatch(/VAST_POLL_FIRST_MS is ignored: it was renamed VAST_TEST_POLL_FLOOR_MS/);
  });

  it("every knob the gate knows is documented", () => {
    expect(Object.keys(PROVIDER_TEST_KNOBS).sort()).toEqual(Object.keys(KNOBS).sort());
    expect(gateTestKnobs({}, Object.keys(PROVIDER_TEST_KNOBS), DEFAULT_API_URL)).toStrictEqual({ applied: {}, notes: [] });
  });
});

describe("the readiness probe's knobs (inherited from pulumi's environment)", () => {
  it("are overridden with empty values (= the probe's defaults) against real Vast, and say so", () => {
    const r = probeKnobOverrides({ PROBE_POLL_MS: "5", PROBE_REQUEST_TIMEOUT_MS: "10" }, DEFAULT_API_URL);
    expect(r.environment).toStrictEqual({ PROBE_POLL_MS: "", PROBE_REQUEST_TIMEOUT_MS: "" });
    expect(r.notes.join("\n")).toMatch(/test knob PROBE_POLL_MS=5 ignored/);
  });
  it("are left alone (inherited) against the emulator, and nothing is added when none is set", () => {
    expect(probeKnobOverrides({ PROBE_POLL_MS: "5" }, "http://127.0.0.1:9").environment).toStrictEqual({});
    expect(probeKnobOverrides({}, DEFAULT_API_URL)).toStrictEqual({ environment: {}, notes: [] });
  });
});
