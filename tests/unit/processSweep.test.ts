// The end-of-run sweep (tests/setup/processSweep.ts) kills exactly the processes of its run.
import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { runProcesses, sweep } from "../setup/processSweep.ts";
import { alive } from "../emulator/helpers.ts";

describe("process sweep", () => {
  it("kills the run's leftover processes (own process group, parent gone) and no other", async () => {
    const start = (run: string) => {
      const c = spawn("sleep", ["60"], { env: { ...process.env, VR_TEST_RUN: run }, detached: true, stdio: "ignore" });
      c.unref();
      return c;
    };
    const mine = start("sweep-test-a");
    const other = start("sweep-test-b");
    try {
      await new Promise((r) => setTimeout(r, 100));
      expect(runProcesses("sweep-test-a").map((p) => p.pid)).toEqual([mine.pid]);
      const killed = sweep("sweep-test-a");
      expect(killed.map((p) => p.cmd)).toEqual(["sleep 60"]);
      await new Promise((r) => setTimeout(r, 100));
      expect(alive(mine.pid as number)).toBe(false);
      expect(alive(other.pid as number)).toBe(true);
    } finally {
      other.kill("SIGKILL");
      mine.kill("SIGKILL");
    }
  });
});
