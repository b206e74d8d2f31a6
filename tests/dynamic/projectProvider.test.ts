// The fixed `__provider` text of our dynamic resources: loaded the way Pulumi's dynamic-provider host
// loads it (require-from-string, then handler()), it must expose exactly the provider's methods and
// run the project's provider code.
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PROVIDER_METHODS, projectProviderText, type ProjectProviderRef } from "../../components/dynamic/projectProvider.ts";
import { VAST_INSTANCE_PROVIDER } from "../../components/vast/instance/instance.ts";
import { VAST_LABEL_SWEEPER_PROVIDER } from "../../components/vast/sweeper/labelSweeper.ts";
import * as providers from "../../components/vast/providers.ts";

const ROOT = join(import.meta.dirname, "../..");
// The host's own loader, resolved from @pulumi/pulumi as the host resolves it.
const hostRequire = createRequire(createRequire(import.meta.url).resolve("@pulumi/pulumi/cmd/dynamic-provider/index.js"));
const requireFromString = hostRequire("require-from-string") as (code: string) => { handler(): Record<string, (...a: unknown[]) => Promise<unknown>> };

function implemented(cls: { prototype: object }): string[] {
  return PROVIDER_METHODS.filter((m) => typeof (cls.prototype as Record<string, unknown>)[m] === "function");
}

describe("projectProviderText", () => {
  it.each([
    ["VastInstance", VAST_INSTANCE_PROVIDER],
    ["VastLabelSweeper", VAST_LABEL_SWEEPER_PROVIDER],
  ])("%s lists exactly the methods its provider class implements", (_n, ref) => {
    const cls = (providers as Record<string, { prototype: object }>)[ref.className];
    expect(cls).toBeDefined();
    expect([...ref.methods].sort()).toEqual(implemented(cls).sort());
  });

  it("is a small fixed text that captures nothing from the program", () => {
    const text = projectProviderText(VAST_INSTANCE_PROVIDER);
    expect(text).toBe(projectProviderText({ ...VAST_INSTANCE_PROVIDER }));
    expect(text.length).toBeLessThan(2_000);
    expect(text).not.toMatch(/apiKey|VLLM_API_KEY|\/work\/|\/tmp\//);
  });

  it("rejects unknown methods and paths outside the project", () => {
    const ref: ProjectProviderRef = { module: "components/vast/providers.ts", className: "X", methods: ["check"] };
    expect(() => projectProviderText({ ...ref, methods: ["invoke" as never] })).toThrow(/unknown provider method "invoke"/);
    expect(() => projectProviderText({ ...ref, module: "/etc/passwd.ts" })).toThrow(/project-relative/);
    expect(() => projectProviderText({ ...ref, module: "../elsewhere/x.ts" })).toThrow(/project-relative/);
  });

  it("runs the project's provider when loaded the way the host loads it", async () => {
    // The host's working directory is the project root; vitest runs from it too.
    expect(process.cwd()).toBe(ROOT);
    const provider = requireFromString(projectProviderText(VAST_LABEL_SWEEPER_PROVIDER)).handler();
    expect(Object.keys(provider).sort()).toEqual([...VAST_LABEL_SWEEPER_PROVIDER.methods].sort());
    await provider.configure({ config: { get: () => undefined } });
    const created = (await provider.create({ labelPrefix: "p", stackName: "s", resourceName: "r" })) as { id: string; outs: { labelStem: string; nonce: string } };
    expect(created.outs.labelStem).toBe(`p.s.r.${created.outs.nonce}.`);
    expect(await provider.diff(created.id, created.outs, { labelPrefix: "p", stackName: "s", resourceName: "r" })).toEqual({ changes: false, replaces: [] });
  });

  it("says where to run from when the project code is not under the working directory", () => {
    const script = `const rfs = require(${JSON.stringify(hostRequire.resolve("require-from-string"))});
      rfs(process.argv[1]).handler().diff("id", {}, {}).then(() => process.exit(3), (e) => { console.log(e.message); process.exit(0); });`;
    const out = execFileSync(process.execPath, ["-e", script, projectProviderText(VAST_INSTANCE_PROVIDER)], { cwd: "/", encoding: "utf8" });
    expect(out).toMatch(/cannot load the provider code \/components\/vast\/providers\.ts/);
    expect(out).toMatch(/Run pulumi from the vast-reranker project directory/);
  });
});
