// The stack configuration as the program sees it, for tests that run without the Pulumi CLI:
// Pulumi.yaml's declared defaults (the CLI passes them to the program like set values) plus the
// test's values, in the SDK's config store, read through pulumi.Config.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { expect } from "vitest";
import { ConfigError } from "../../components/config.ts";

const ROOT = join(import.meta.dirname, "../..");

/** Every `vast-reranker:*` default Pulumi.yaml declares, as text (lists as JSON). */
export function projectDefaults(): Record<string, string> {
  const yaml = readFileSync(join(ROOT, "Pulumi.yaml"), "utf8");
  const decls = [...yaml.matchAll(/^ {2}vast-reranker:(\w+):\n((?: {4}.*\n?)*)/gm)];
  return Object.fromEntries(decls.flatMap((m) => {
    const d = /^ {4}default: (.*)$/m.exec(m[2]);
    return d ? [[m[1], d[1].replace(/^"(.*)"$/, "$1")]] : [];
  }));
}

/** Keys Pulumi.yaml declares (with or without a default). */
export function declaredKeys(): string[] {
  const yaml = readFileSync(join(ROOT, "Pulumi.yaml"), "utf8");
  return [...yaml.matchAll(/^ {2}vast-reranker:(\w+):$/gm)].map((m) => m[1]);
}

/** Sets the SDK's config to the defaults plus `values` (minus `unset`) and returns `new Config("vast-reranker")`. */
export function stackConfig(values: Record<string, string> = {}, unset: string[] = []): pulumi.Config {
  const all: Record<string, string> = { ...projectDefaults(), ...values };
  for (const k of unset) delete all[k];
  pulumi.runtime.setAllConfig(Object.fromEntries(Object.entries(all).map(([k, v]) => [`vast-reranker:${k}`, v])));
  return new pulumi.Config("vast-reranker");
}

/** The message of the ConfigError `f` throws (fails the test when it throws none or another error). */
export function problemsOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error("no ConfigError");
}
