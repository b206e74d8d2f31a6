// A worker group's `launch_args`: the `vastai create instance` flags as one string (Vast's CLI help:
// "--onstart onstart_wget.sh --env '-e ...' --image ... --disk 64"). Split as a POSIX shell would and
// mapped to the create-instance body the CLI sends (the emulator's choice of how Vast's server reads
// it: docs/vast-api.md, "Vast Serverless").

/** POSIX shell word splitting: '…' literal, "…" with \\ \" \$ \` escapes, \\ outside quotes. */
function shellSplit(s: string): string[] {
  const out: string[] = [];
  let cur = "";
  let inWord = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === "'") {
      const end = s.indexOf("'", i + 1);
      if (end < 0) throw new Error("unterminated ' in launch_args");
      cur += s.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (c === '"') {
      i++;
      for (; i < s.length && s[i] !== '"'; i++) {
        if (s[i] === "\\" && i + 1 < s.length && '"\\$`\n'.includes(s[i + 1])) i++;
        cur += s[i];
      }
      if (i >= s.length) throw new Error('unterminated " in launch_args');
      inWord = true;
    } else if (c === "\\" && i + 1 < s.length) {
      cur += s[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(cur);
      cur = "";
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) out.push(cur);
  return out;
}

const VALUED = new Set(["--image", "--env", "--disk", "--onstart-cmd", "--entrypoint", "--label", "--login", "--onstart"]);

/**
 * launch_args → only the create-instance fields its flags set (as `vastai create instance` would send
 * them): laid over a template's launch (../templateLaunch.ts), or completed by createBodyFromLaunchArgs.
 */
export function readLaunchArgs(launchArgs: string): { fields: Record<string, unknown> } | { error: string } {
  let words: string[];
  try {
    words = shellSplit(launchArgs);
  } catch (e) {
    return { error: (e as Error).message };
  }
  const v: Record<string, string> = {};
  let args: string[] | undefined;
  const flags = new Set<string>();
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (w === "--args") {
      args = words.slice(i + 1); // argparse.REMAINDER
      break;
    }
    if (VALUED.has(w)) {
      if (i + 1 >= words.length) return { error: `${w} expects a value` };
      v[w] = words[++i];
    } else if (w === "--ssh" || w === "--jupyter" || w === "--direct") flags.add(w);
    else return { error: `unrecognized launch argument ${JSON.stringify(w)}` };
  }
  const fields: Record<string, unknown> = {};
  if (v["--image"] !== undefined) fields.image = v["--image"];
  if (v["--env"] !== undefined) fields.env = v["--env"];
  if (v["--disk"] !== undefined) fields.disk = Number(v["--disk"]);
  if (v["--label"] !== undefined) fields.label = v["--label"];
  const onstart = v["--entrypoint"] ?? v["--onstart-cmd"];
  if (onstart !== undefined) fields.onstart = onstart;
  if (args !== undefined || v["--entrypoint"] || flags.size) {
    const runtype = args !== undefined || v["--entrypoint"] ? "args" : flags.has("--jupyter") ? "jupyter" : "ssh";
    fields.runtype = runtype === "args" ? "args" : `${runtype}${flags.has("--direct") ? "_direc" : ""}`;
  }
  if (args !== undefined) fields.args = args.length ? args : null;
  return { fields };
}

/** launch_args → a whole create-instance body (as `vastai create instance` builds it, its defaults included), or an error. */
export function createBodyFromLaunchArgs(launchArgs: string): { body: Record<string, unknown> } | { error: string } {
  const read = readLaunchArgs(launchArgs);
  if ("error" in read) return read;
  if (!read.fields.image) return { error: "launch_args has no --image" };
  return { body: { client_id: "me", env: "", disk: 10, label: null, onstart: null, runtype: "ssh", args: null, ...read.fields } };
}
