// Dynamic resources whose provider code is loaded from the project instead of serialized.
//
// pulumi.dynamic.Resource serializes its provider object with Pulumi's closure serializer on every
// `preview` and `up`: it loads the TypeScript compiler and walks every helper the provider calls
// (≈0.5 s of CPU per run for our 1.8 k-line provider, most of a no-change preview's extra cost).
// Here `__provider` is a fixed ~1 KB CommonJS text: Pulumi's own dynamic-provider host loads it
// exactly as it loads a serialized closure, and the text imports the provider module from the
// project directory (the host's working directory) on first use. The engine path, the type token,
// the state layout and the host are unchanged; only the serializer is skipped. Consequences
// (components/dynamic/README.md): `pulumi destroy`/`refresh` run the project's
// current provider code — the code of the checkout you run them from, never a stale copy stored in
// state — and the module path and export name in the text are read back from old states, so they
// are a stable interface kept in registry.ts.
import * as pulumi from "@pulumi/pulumi";
import { PROVIDERS, type ProviderName, type RegisteredProvider } from "./registry.ts";

export const PROVIDER_METHODS = ["configure", "check", "diff", "create", "read", "update", "delete"] as const;
export type ProviderMethod = (typeof PROVIDER_METHODS)[number];

/**
 * The `__provider` text: a CommonJS module whose `handler()` returns the provider (the host's contract).
 * Its wording is what every stack's state holds: change it only together with a test that the texts
 * already in state still load (tests/dynamic/registry.test.ts).
 */
export function projectProviderText(ref: RegisteredProvider): string {
  for (const m of ref.methods) {
    if (!PROVIDER_METHODS.includes(m)) throw new Error(`projectProviderText: unknown provider method "${m}"`);
  }
  if (!/^[\w./-]+\.ts$/.test(ref.module) || ref.module.startsWith("/") || ref.module.includes("..")) {
    throw new Error(`projectProviderText: module must be a project-relative .ts path, got "${ref.module}"`);
  }
  const spec = JSON.stringify({ module: ref.module, className: ref.exportName });
  const methods = ref.methods.map((m) => `    ${m}: (...args) => call(${JSON.stringify(m)}, args),`).join("\n");
  return `// vast-reranker project provider: code is loaded from the project, see components/dynamic/projectProvider.ts
exports.handler = function () {
  const spec = ${spec};
  let instance;
  const load = () => (instance ??= (async () => {
    const file = require("node:path").resolve(spec.module);
    let mod;
    try {
      mod = await import(require("node:url").pathToFileURL(file).href);
    } catch (e) {
      const hint = e && e.code === "ERR_MODULE_NOT_FOUND" ? " Run pulumi from the vast-reranker project directory (the one holding Pulumi.yaml)." : "";
      throw new Error("vast-reranker: cannot load the provider code " + file + ": " + (e && e.message) + hint);
    }
    return new mod[spec.className]();
  })());
  const call = async (method, args) => {
    const provider = await load();
    return provider[method](...args);
  };
  return {
${methods}
  };
};
`;
}

/**
 * A pulumi.dynamic.Resource equivalent (same host, same state layout) backed by a project module: the
 * type token is `pulumi-nodejs:dynamic/<name>` for a registered provider name such as "vast:Instance".
 */
export class ProjectDynamicResource extends pulumi.CustomResource {
  constructor(provider: ProviderName, name: string, props: pulumi.Inputs, opts?: pulumi.CustomResourceOptions) {
    if (props.__provider) throw new Error("A dynamic resource must not define the __provider key");
    super(`pulumi-nodejs:dynamic/${provider}`, name, { ...props, __provider: projectProviderText(PROVIDERS[provider]) }, opts);
  }
}
