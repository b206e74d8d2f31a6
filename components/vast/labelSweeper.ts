// VastLabelSweeper: on `pulumi destroy`, destroys every instance whose label carries this stack
// resource's label stem. It exists for the one case the instance resource cannot cover: a run
// killed after the rent but before Pulumi saved the instance, followed by `destroy` instead of `up`
// (the stem's nonce is in state before any rent, so the sweeper always knows what to look for).
import * as pulumi from "@pulumi/pulumi";
import { destroyAndConfirm, listInstances } from "./client.ts";
import { vastClientOptions } from "./credentials.ts";

interface SweeperInputs {
  apiUrl?: string;
  labelStem: string;
}

class VastLabelSweeperProvider implements pulumi.dynamic.ResourceProvider {
  private apiKey = "";
  private apiUrl = "";

  async configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
    this.apiKey = req.config.get("vast:apiKey") ?? "";
    this.apiUrl = req.config.get("vast:apiUrl") ?? "";
  }

  async create(inputs: SweeperInputs): Promise<pulumi.dynamic.CreateResult> {
    return { id: inputs.labelStem, outs: inputs };
  }

  async diff(_id: string, olds: SweeperInputs, news: SweeperInputs): Promise<pulumi.dynamic.DiffResult> {
    const changed = olds.labelStem !== news.labelStem || olds.apiUrl !== news.apiUrl;
    return { changes: changed, replaces: changed ? ["labelStem"] : [] };
  }

  async read(id: string, props: SweeperInputs): Promise<pulumi.dynamic.ReadResult> {
    return { id, props };
  }

  async delete(id: string, props: SweeperInputs): Promise<void> {
    const opts = vastClientOptions(this.apiKey, props.apiUrl || this.apiUrl);
    const pollMs = Number(process.env.VAST_POLL_FIRST_MS) > 0 ? Number(process.env.VAST_POLL_FIRST_MS) : 1_000;
    const leftovers = (await listInstances(opts)).filter((i) => typeof i.label === "string" && i.label.startsWith(id));
    for (const inst of leftovers) {
      console.log(`[vast] destroying instance ${inst.id} (label ${inst.label}): rented by an interrupted run, unknown to state`);
      await destroyAndConfirm(opts, inst.id, 120_000, pollMs);
    }
  }
}

const provider = new VastLabelSweeperProvider();

export class VastLabelSweeper extends pulumi.dynamic.Resource {
  constructor(name: string, args: { apiUrl?: pulumi.Input<string>; labelStem: pulumi.Input<string> }, opts?: pulumi.CustomResourceOptions) {
    super(provider, name, { apiUrl: args.apiUrl, labelStem: args.labelStem }, opts, "vast", "LabelSweeper");
  }
}
