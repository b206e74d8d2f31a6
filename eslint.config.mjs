import js from "@eslint/js";
import tseslint from "typescript-eslint";

// Import boundaries. The product (index.ts, components/) is what `pulumi up` runs: it never imports
// the emulator, the tools or the tests. The emulator stands in for Vast and vLLM, so it may share
// only the Vast API wire types with the product (a types-only file), never product logic.
// tests/unit/importBoundaries.test.ts proves both rules fire.
const WIRE_TYPES = "components/vast/api/types.ts";

const productBoundary = {
  regex: "^(\\.{1,2}/)+(emulator|tools|tests)(/|$)",
  message: "the product (index.ts, components/) must not import emulator/, tools/ or tests/: a `pulumi up` runs it alone.",
};

const emulatorBoundary = {
  regex: `^(\\.\\./)+components/(?!${WIRE_TYPES.slice("components/".length).replaceAll(".", "\\.")}$)`,
  message: `the emulator may import only the Vast wire types (${WIRE_TYPES}) from components/, never product logic: move a shared type there instead.`,
};

export default tseslint.config(
  { ignores: ["node_modules/**", ".cache/**", "**/node_modules/**", "bench-results/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-require-imports": "off",
    },
  },
  {
    files: ["index.ts", "components/**"],
    rules: { "no-restricted-imports": ["error", { patterns: [productBoundary] }] },
  },
  {
    files: ["emulator/**"],
    rules: { "no-restricted-imports": ["error", { patterns: [emulatorBoundary] }] },
  },
);
