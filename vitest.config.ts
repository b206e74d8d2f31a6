import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    // Kills, at the end of the run, any process a test left (tests/setup/processSweep.ts).
    globalSetup: ["tests/setup/processSweep.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Engine tests spawn `pulumi` processes; two cores do not take more.
    maxWorkers: 2,
  },
});
