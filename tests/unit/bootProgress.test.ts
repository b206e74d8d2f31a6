// Reading the logs request_logs returns (bootProgress.ts), on the strings recorded from Vast
// (../shared/vast-recorded/unattributed-68345701965__log-api-fragments.txt,
// ifixtelecom-gpu-ifix__container-log-excerpt.txt) and on vLLM's own start-up lines.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { describePull, describeStartup, logExists, logMark, parseContainerLog, parseDaemonLog } from "../../components/vast/instance/bootProgress.ts";
import { logsRequestBody } from "../../components/vast/api/logs.ts";

const RECORDED = "/work/shared/vast-recorded";
/** The blocks of the recorded fragments file, by heading. */
function fragments(): Record<string, string> {
  const text = readFileSync(`${RECORDED}/unattributed-68345701965__log-api-fragments.txt`, "utf8");
  const out: Record<string, string> = {};
  for (const block of text.split(/^## /m).slice(1)) {
    const [head, ...body] = block.split("\n");
    out[head.trim()] = body.filter((l) => l.trim() && !l.startsWith("#")).join("\n");
  }
  return out;
}

describe("daemon log (pull progress)", () => {
  const f = fragments();
  const layers = f[Object.keys(f).find((k) => k.startsWith("layer lines")) as string];

  it("the recorded 'no such file' and 'No such container' answers are no log yet", () => {
    const noFile = f[Object.keys(f).find((k) => k.startsWith("daemon log")) as string];
    const noContainer = f[Object.keys(f).find((k) => k.startsWith("container log")) as string];
    expect(noFile).toMatch(/No such file or directory/);
    expect(logExists(noFile)).toBe(false);
    expect(parseDaemonLog(noFile)).toBeNull();
    expect(parseContainerLog(noContainer)).toBeNull();
    expect(logExists(null)).toBe(false);
    expect(logExists("")).toBe(false);
  });

  it("reads every recorded layer line, with and without the host's timestamp, last state per layer", () => {
    const p = parseDaemonLog(layers);
    // aaaa: Pulling → Download complete → Pull complete; bbbb: Pulling → Verifying Checksum; cccc: Already exists → Waiting.
    expect(p).toMatchObject({ layers: 3, pulled: 1, downloaded: 1, downloading: 0, last: "cccccccccccc: Waiting" });
    expect(describePull(p!)).toBe("pulling image: 1/3 layers pulled, 1 downloaded");
  });

  it("counts a pull that moves on as progress, and only then", () => {
    const more = `${layers}\nbbbbbbbbbbbb: Download complete`;
    expect(logMark(more)).not.toBe(logMark(layers));
    expect(logMark(layers)).toBe(logMark(`${layers}`));
    expect(parseDaemonLog(more)?.downloaded).toBe(1);
  });
});

describe("container log (vLLM start-up)", () => {
  it("a recorded container log is a log (the container exists), whatever it prints", () => {
    const recorded = readFileSync(`${RECORDED}/ifixtelecom-gpu-ifix__container-log-excerpt.txt`, "utf8");
    const p = parseContainerLog(recorded);
    expect(p?.complete).toBe(false);
    expect(p?.last).toMatch(/built with GNU/);
  });

  it("follows the weights' loading and sees 'Application startup complete'", () => {
    const log = [
      "INFO 11-28 10:00:01 [api_server.py:1] vLLM API server version 0.30.0",
      "INFO 11-28 10:00:02 [default_loader.py:2] Starting to load model BAAI/bge-reranker-base...",
      "Loading safetensors checkpoint shards: 40% Completed | 4/10",
    ].join("\n");
    const p = parseContainerLog(log);
    expect(p?.stage).toMatch(/checkpoint shards: 40%/);
    expect(describeStartup(p!)).toBe("vLLM starting: Loading safetensors checkpoint shards: 40% Completed | 4/10");
    const done = parseContainerLog(`${log}\nINFO:     Started server process [7]\nINFO:     Waiting for application startup.\nINFO:     Application startup complete.`);
    expect(done?.complete).toBe(true);
    expect(describeStartup(done!)).toBe("vLLM: Application startup complete");
  });
});

describe("request_logs body", () => {
  it("has the vastai SDK's shape: tail as a string, daemon_logs as the string 'true'", () => {
    expect(logsRequestBody("daemon")).toStrictEqual({ tail: "1000", daemon_logs: "true" });
    expect(logsRequestBody("container")).toStrictEqual({ tail: "1000" });
  });
});
