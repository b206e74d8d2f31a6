// Where the providers get the Vast API key and URL at run time (never from code or state).
import type * as pulumi from "@pulumi/pulumi";
import type { VastClientOptions } from "./client.ts";

/** The real service; config `vast:apiUrl` or env VAST_API_URL override it (e.g. with the emulator's URL). */
export const DEFAULT_API_URL = "https://console.vast.ai";

/** A positive number from the environment, else undefined. */
function envMs(name: string): number | undefined {
  const n = Number(process.env[name]);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

/**
 * Config values (read in configure()) win over the environment; a missing key is a clear error.
 * The only place the providers read timing from the environment. VAST_POLL_FIRST_MS (the floor between
 * two GET /instances/{id}, also the first status-poll delay), VAST_POLL_CAP_MS and VAST_BACKOFF_MS are
 * test-only knobs for runs against the emulator (README "Configuration"): against Vast, a poll below
 * its 2 s floor is answered 429, so production always uses the built-in schedule. VAST_STALL_TIME_SCALE
 * (test-only too) multiplies the stall-aware failover's thresholds (instance/stallVerdict.ts), so an
 * engine test sees a stalled pull abandoned in seconds; the flat bootTimeoutSeconds is not scaled.
 */
export function vastClientOptions(configApiKey: string, configApiUrl: string | undefined): VastClientOptions & { stallTimeScale?: number } {
  const apiKey = configApiKey || process.env.VAST_API_KEY || "";
  const apiUrl = configApiUrl || process.env.VAST_API_URL || DEFAULT_API_URL;
  if (!apiKey) throw new Error("no Vast API key: run `pulumi config set --secret vast:apiKey <key>` or export VAST_API_KEY");
  return { apiUrl, apiKey, backoffMs: envMs("VAST_BACKOFF_MS"), pollFloorMs: envMs("VAST_POLL_FIRST_MS"), pollCapMs: envMs("VAST_POLL_CAP_MS"), stallTimeScale: envMs("VAST_STALL_TIME_SCALE") };
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
