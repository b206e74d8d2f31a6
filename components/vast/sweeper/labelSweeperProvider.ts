// VastLabelSweeperProvider: owns the label stem `<prefix>.<stack>.<resource>.<nonce>.` that every
// instance of one stack resource carries, and on `pulumi destroy` destroys every instance whose label
// starts with it. It exists for the one case the instance resource cannot cover: a run killed after
// the rent but before Pulumi saved the instance, followed by `destroy` instead of `up`. The nonce is
// drawn here, so it is in state before any rent and the sweeper always knows what to look for.
import type * as pulumi from "@pulumi/pulumi";
import { destroyAndConfirm, listInstances } from "../api/client.ts";
import { VastConfiguredProvider } from "../api/credentials.ts";
import { labelStem } from "../instance/instanceLogic.ts";

export interface SweeperInputs {
  apiUrl?: string;
  labelPrefix: string;
  stackName: string;
  resourceName: string;
}

export interface SweeperOutputs extends SweeperInputs {
  /** 8 hex characters, drawn once at create; kept across label-prefix changes. */
  nonce: string;
  labelStem: string;
}

/**
 * Changing these makes a different stem owner (a replace). The prefix and the stack name (`pulumi
 * stack rename`) are relabelled in place: the nonce stays, so the instance is not replaced either.
 */
const REPLACE_KEYS = ["apiUrl", "resourceName"] as const;

export class VastLabelSweeperProvider extends VastConfiguredProvider implements pulumi.dynamic.ResourceProvider {
  async create(inputs: SweeperInputs): Promise<pulumi.dynamic.CreateResult> {
    const nonce = process.getBuiltinModule("node:crypto").randomBytes(4).toString("hex");
    return { id: `sweeper-${nonce}`, outs: withStem(inputs, nonce) };
  }

  async diff(_id: string, olds: SweeperOutputs, news: SweeperInputs): Promise<pulumi.dynamic.DiffResult> {
    const replaces = REPLACE_KEYS.filter((k) => (olds[k] ?? "") !== (news[k] ?? ""));
    return { changes: replaces.length > 0 || olds.labelPrefix !== news.labelPrefix || olds.stackName !== news.stackName, replaces };
  }

  async update(_id: string, olds: SweeperOutputs, news: SweeperInputs): Promise<pulumi.dynamic.UpdateResult> {
    return { outs: withStem(news, olds.nonce) };
  }

  async read(id: string, props: SweeperOutputs): Promise<pulumi.dynamic.ReadResult> {
    return { id, props };
  }

  async delete(id: string, props: SweeperOutputs): Promise<void> {
    // State written before the sweeper owned the nonce kept the stem as the id.
    const stem = props.labelStem || id;
    // Never sweep on a truncated stem: "" or "vast-reranker." would match other stacks' instances.
    if (stem.split(".").length < 5 || !stem.endsWith(".")) throw new Error(`vast-reranker: refusing to sweep with the malformed label stem "${stem}"`);
    const opts = this.clientOptions(props.apiUrl);
    const leftovers = (await listInstances(opts)).filter((i) => typeof i.label === "string" && i.label.startsWith(stem));
    for (const inst of leftovers) {
      console.log(`[vast] destroying instance ${inst.id} (label ${inst.label}): rented by an interrupted run, unknown to state`);
      await destroyAndConfirm(opts, inst.id);
    }
  }
}

function withStem(inputs: SweeperInputs, nonce: string): SweeperOutputs {
  return { ...inputs, nonce, labelStem: labelStem({ ...inputs, nonce }) };
}
