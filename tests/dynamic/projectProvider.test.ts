// The fixed `__provider` text of our dynamic resources: loaded the way Pulumi's dynamic-provider host
// loads it (require-from-string, then handler()), it must expose exactly the provider's methods and
// run the project's provider code.
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { projectProviderText } from "../../components/dynamic/projectProvider.ts";
import { PROVIDERS, type RegisteredProvider } from "../../components/dynamic/registry.ts";

const ROOT = join(import.meta.dirname, "../..");
// The host's own loader (require-from-string, a dependency of @pulumi/pulumi), resolved as the host resolves it.
const hostRequire = createRequire(createRequire(import.meta.url).resolve("@pulumi/pulumi"));
const requireFromString = hostRequire("require-from-string") as (code: string) => { handler(): Record<string, (...a: unknown[]) => Promise<unknown>> };
const INSTANCE = PROVIDERS["vast:Instance"];
const SWEEPER = PROVIDERS["vast:LabelSweeper"];

// Each registered provider's method list against its class: tests/dynamic/registry.test.ts.
describe("projectProviderText", () => {
  it("is a small fixed text that captures nothing from the program", () => {
    const text = projectProviderText(INSTANCE);
    expect(text).toBe(projectProviderText({ ...INSTANCE }));
    expect(text.length).toBeLessThan(2_000);
    expect(text).not.toMatch(/apiKey|VLLM_API_KEY|\/work\/|\/tmp\//);
  });

  it("rejects unknown methods and paths outside the project", () => {
    const ref: RegisteredProvider = { module: "components/vast/providers.ts", exportName: "X", methods: ["check"] };
    expect(() => projectProviderText({ ...ref, methods: ["invoke" as never] })).toThrow(/unknown provider method "invoke"/);
    expect(() => projectProviderText({ ...ref, module: "/etc/passwd.ts" })).toThrow(/project-relative/);
    expect(() => projectProviderText({ ...ref, module: "../elsewhere/x.ts" })).toThrow(/project-relative/);
  });

  it("runs the project's provider when loaded the way the host loads it", async () => {
    // The host's working directory is the project root; vitest runs from it too.
    expect(process.cwd()).toBe(ROOT);
    const provider = requireFromString(projectProviderText(SWEEPER)).handler();
    expect(Object.keys(provider).sort()).toEqual([...SWEEPER.methods].sort());
    await provider.configure({ config: { get: () => undefined } });
    const created = (await provider.create({ labelPrefix: "p", stackName: "s", resourceName: "r" })) as { id: string; outs: { labelStem: string; nonce: string } };
    expect(created.outs.labelStem).toBe(`p.s.r.${created.outs.nonce}.`);
    expect(await provider.diff(created.id, created.outs, { labelPrefix: "p", stackName: "s", resourceName: "r" })).toEqual({ changes: false, replaces: [] });
  });

  it("says where to run from when the project code is not under the working directory", () => {
    const script = `const rfs = require(${JSON.stringify(hostRequire.resolve("require-from-string"))});
      rfs(process.argv[1]).handler().diff("id", {}, {}).then(() => process.exit(3), (e) => { console.log(e.message); process.exit(0); });`;
    const out = execFileSync(process.execPath, ["-e", script, projectProviderText(INSTANCE)], { cwd: "/", encoding: "utf8" });
    expect(out).toMatch(/cannot load the provider code \/components\/vast\/providers\.ts/);
    expect(out).toMatch(/Run pulumi from the vast-reranker project directory/);
  });
});
