// The ESLint import boundaries (eslint.config.mjs): the product never imports the emulator, the
// tools or the tests, and the emulator imports nothing from components/ but the Vast wire types.
// Lints made-up files through ESLint's API with the project's own config.
import { ESLint } from "eslint";
import { beforeAll, describe, expect, it } from "vitest";

const ROOT = new URL("../..", import.meta.url).pathname;
let eslint: ESLint;

/** no-restricted-imports messages for `code` as if it were the file at `filePath` (repo-relative). */
async function boundaryErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${ROOT}${filePath}` });
  return result.messages.filter((m) => m.ruleId === "no-restricted-imports").map((m) => m.message);
}

beforeAll(() => {
  eslint = new ESLint({ cwd: ROOT });
});

describe("product boundary (index.ts, components/**)", () => {
  it.each([
    ["components/vast/instance/x.ts", `import { startEmulator } from "../../../emulator/index.ts";`],
    ["components/vast/api/x.ts", `import type { FaultSpec } from "../../../emulator/types.ts";`],
    ["components/x.ts", `import { median } from "../tools/bench/report.ts";`],
    ["components/readiness/x.ts", `export { harness } from "../../tests/provider/harness.ts";`],
    ["index.ts", `import { startEmulator } from "./emulator/index.ts";`],
  ])("%s: %s is refused", async (file, code) => {
    const errors = await boundaryErrors(file, code);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/must not import emulator\/, tools\/ or tests\//);
  });

  it("allows imports inside the product", async () => {
    expect(await boundaryErrors("components/vast/instance/x.ts", `import type { Offer } from "../api/types.ts";\nimport { configMessage } from "./validate.ts";`)).toEqual([]);
  });
});

describe("emulator boundary (emulator/**)", () => {
  it.each([
    ["emulator/x.ts", `import { createRequest } from "../components/vast/instance/instanceLogic.ts";`],
    ["emulator/x.ts", `import { listInstances } from "../components/vast/api/client.ts";`],
    ["emulator/vllm/x.ts", `import { buildVllmLaunch } from "../../components/vllm/launch.ts";`],
  ])("%s: %s is refused", async (file, code) => {
    const errors = await boundaryErrors(file, code);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/only the Vast wire types \(components\/vast\/api\/types\.ts\)/);
  });

  it("allows the wire types and its own modules", async () => {
    expect(await boundaryErrors("emulator/x.ts", `import type { Instance } from "../components/vast/api/types.ts";\nimport { json } from "./http.ts";`)).toEqual([]);
    expect(await boundaryErrors("emulator/vllm/x.ts", `import type { Offer } from "../../components/vast/api/types.ts";`)).toEqual([]);
  });
});

describe("tools and tests are not restricted", () => {
  it("a tool may drive the emulator and the product", async () => {
    expect(await boundaryErrors("tools/bench/x.ts", `import { startEmulator } from "../../emulator/index.ts";\nimport { listInstances } from "../../components/vast/api/client.ts";`)).toEqual([]);
  });
});
