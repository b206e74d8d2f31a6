// Where the providers get the Vast API key and URL at run time (never from code or state).
import type * as pulumi from "@pulumi/pulumi";
import type { VastClientOptions } from "./client.ts";
import { gateTestKnobs, logOnce, PROVIDER_TEST_KNOBS } from "../../testKnobs.ts";

/** The real service; config `vast:apiUrl` or env VAST_API_URL override it (e.g. with the emulator's URL). */
export const DEFAULT_API_URL = "https://console.vast.ai";

/** A positive number, else undefined. */
function positive(raw: string | undefined): number | undefined {
  const n = Number(raw);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

/**
 * Config values (read in configure()) win over the environment; a missing key is a clear error.
 * The only place the providers read test knobs from the environment (testKnobs.ts): they apply only
 * when the effective API URL is loopback, and each one applied or ignored is logged once.
 */
export function vastClientOptions(configApiKey: string, configApiUrl: string | undefined, log: (line: string) => void = (l) => console.log(`[vast] ${l}`)): VastClientOptions {
  const apiKey = configApiKey || process.env.VAST_API_KEY || "";
  const apiUrl = configApiUrl || process.env.VAST_API_URL || DEFAULT_API_URL;
  if (!apiKey) throw new Error("no Vast API key: run `pulumi config set --secret vast:apiKey <key>` or export VAST_API_KEY");
  const knobs = gateTestKnobs(process.env, Object.keys(PROVIDER_TEST_KNOBS), apiUrl);
  logOnce(knobs.notes, log);
  const k = knobs.applied;
  return {
    apiUrl, apiKey,
    backoffMs: positive(k.VAST_TEST_BACKOFF_MS), pollFloorMs: positive(k.VAST_TEST_POLL_FLOOR_MS), pollCapMs: positive(k.VAST_TEST_POLL_CAP_MS), waitScale: positive(k.VAST_TEST_WAIT_SCALE),
  };
}

/** Base of the Vast providers: the key and URL come from stack config, read in the provider host. */
export abstract class VastConfiguredProvider {
  protected apiKey = "";
  protected apiUrl = "";

  async configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
    this.apiKey = req.config.get("vast:apiKey") ?? "";
    this.apiUrl = req.config.get("vast:apiUrl") ?? "";
  }

  /** Client options for a resource whose own `apiUrl` input (if any) wins over config. */
  protected clientOptions(resourceApiUrl: string | undefined): VastClientOptions {
    return vastClientOptions(this.apiKey, resourceApiUrl || this.apiUrl);
  }
}
