// What the program throws for a bad stack configuration. Pulumi's runner formats a
// thrown error with util.inspect(err, { colors: true }) (for a RunError: only for its tracing span),
// and on Node 22.23 that loops for ~20 s and ~3 GB on any stack frame under
// node_modules/@pulumi/<file> — which every error thrown while the program's top level runs has
// (components/stackConfigError.ts). So the error must be a RunError (Pulumi prints its message only)
// and carry no frames. The engine-level check is in tests/security/badInput.test.ts.
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { parseDeploymentConfig } from "../../components/config.ts";
import { RerankerDeployment, loadDeploymentConfig } from "../../components/rerankerDeployment.ts";
import { StackConfigError } from "../../components/stackConfigError.ts";
import { stackConfig } from "../helpers/projectConfig.ts";

/** The value `f` throws. */
function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error("nothing was thrown");
}

/** Checks the shape Pulumi's runner handles cheaply; before formatting anything, so a regression fails instead of hanging. */
function expectFastToReport(e: unknown, ...keys: string[]): void {
  expect(e).toBeInstanceOf(StackConfigError);
  expect(pulumi.RunError.isInstance(e)).toBe(true);
  const err = e as StackConfigError;
  expect(err.stack).toBe(`StackConfigError: ${err.message}`);
  expect(err.stack).not.toMatch(/\n\s+at |node_modules/);
  for (const k of keys) expect(err.message).toContain(`vast-reranker:${k}`);
  expect(err.problems.length).toBe(keys.length);
  // What the runner's tracing span formats (and, for other errors, what it prints): short and quick.
  expect(inspect(err, { colors: true }).length).toBeLessThan(err.message.length + 500);
}

describe("loadDeploymentConfig", () => {
  it("returns the config when every value is good", () => {
    expect(loadDeploymentConfig(stackConfig())).toEqual(parseDeploymentConfig(stackConfig()));
  });

  it("throws a frameless RunError naming every key that does not parse", () => {
    expectFastToReport(thrown(() => loadDeploymentConfig(stackConfig({ offerType: "spot", diskGb: "forty" }))), "offerType", "diskGb");
  });

  it("throws a frameless RunError naming every key that parses but is not valid", () => {
    expectFastToReport(thrown(() => loadDeploymentConfig(stackConfig({ diskGb: "4", maxAttempts: "0" }))), "diskGb", "maxAttempts");
  });
});

describe("RerankerDeployment", () => {
  it("refuses a bad config the same way when constructed directly", async () => {
    await pulumi.runtime.setMocks({ newResource: (a) => ({ id: `${a.name}-id`, state: a.inputs }), call: (a) => a.inputs }, "vast-reranker", "dev", true);
    const config = { ...parseDeploymentConfig(stackConfig()), maxAttempts: 0 };
    expectFastToReport(thrown(() => new RerankerDeployment("reranker", { config })), "maxAttempts");
  });
});
