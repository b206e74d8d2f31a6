// Regenerates guardSource.ts from guard.py: `node tools/vllm/generate-guard-source.ts`.
// The compressed text is generated once and committed (not computed at deploy time) so that a
// different zlib build can never change the instance's launch args and force a replacement.
// tests/vllm/launch.test.ts fails when guardSource.ts is out of date.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";

const dir = path.join(process.cwd(), "components", "vllm");
const source = fs.readFileSync(path.join(dir, "guard.py"));
const gz = zlib.gzipSync(source, { level: 9 }).toString("base64");
const sha = crypto.createHash("sha256").update(source).digest("hex");

const out = `// GENERATED from guard.py by generate-guard-source.ts; do not edit by hand.
/** Python module name the launch script writes guard.py as (on PYTHONPATH). */
export const GUARD_MODULE = "vast_guard";
/** The ASGI middleware class, passed to \`vllm serve --middleware\`. */
export const GUARD_CLASS = "ApiKeyGuard";
/** sha256 of guard.py. */
export const GUARD_SOURCE_SHA256 = "${sha}";
/** guard.py, gzip -9 then base64 (decoded in the container with \`base64 -d | gzip -dc\`). */
export const GUARD_SOURCE_GZIP_BASE64 =
  "${gz}";
`;
fs.writeFileSync(path.join(dir, "guardSource.ts"), out);
console.log(`guardSource.ts: ${source.length} bytes -> ${gz.length} base64 chars`);
