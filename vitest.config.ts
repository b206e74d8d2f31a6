import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Engine tests spawn `pulumi` processes; two cores do not take more.
    maxWorkers: 2,
  },
});
