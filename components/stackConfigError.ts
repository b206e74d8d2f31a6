// How the program reports a bad stack configuration: a pulumi.RunError without stack frames.
//
// Why not a plain Error: Pulumi's Node.js runner prints an uncaught error other than a RunError as
// util.inspect(err, { colors: true }), and formats every error that way once more for its tracing
// span, RunErrors included. On Node 22.23 that call never ends for a stack frame under
// node_modules/@scope/<file> (nodejs/node#64011: util.inspect's markNodeModules loops, appending to
// a string until V8 refuses its length, ~20 s and ~3 GB later), and every frame in @pulumi/pulumi's
// own top-level files has that form: its source maps point one folder up (resource.js →
// node_modules/@pulumi/resource.ts), and a program's top-level code always runs under
// Stack.initialize. A config typo took 30–55 s to fail `pulumi preview` (docs/benchmarks.md).
// A RunError is printed as its message alone, and with no frames the tracing call is cheap too.
import * as pulumi from "@pulumi/pulumi";

export class StackConfigError extends pulumi.RunError {
  readonly problems: string[];

  constructor(problems: string[]) {
    super(`invalid stack configuration:\n  - ${problems.join("\n  - ")}`);
    this.name = "StackConfigError";
    this.problems = problems;
    // The message is the whole report; frames would only feed the formatting bug above.
    this.stack = `${this.name}: ${this.message}`;
  }
}
