// The boot's error types (boot.ts and its steps throw them; instanceProvider.ts reads them).

/** An error after which an instance may still exist and bill: Pulumi must keep tracking it. */
export class TrackedInstanceError extends Error {
  readonly trackedId: number;
  constructor(message: string, trackedId: number) {
    super(message);
    this.name = "TrackedInstanceError";
    this.trackedId = trackedId;
  }
}
