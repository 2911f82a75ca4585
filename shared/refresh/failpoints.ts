/**
 * Failpoints at the refresh's step boundaries, switched on by configuration in tests only
 * (reliability.md: "Failpoints at step boundaries"). A failpoint that throws simulates a crash at
 * that point: nothing after it runs.
 */
export type FailpointName =
  | 'after_lease'
  | 'after_provider_answer'
  | 'before_commit'
  | 'after_commit'
  | 'before_ack';

export type Failpoints = (name: FailpointName) => void | Promise<void>;

/** Thrown by test failpoints to simulate a process dying at a step boundary. */
export class SimulatedCrash extends Error {
  constructor(readonly at: FailpointName) {
    super(`simulated crash at ${at}`);
    this.name = 'SimulatedCrash';
  }
}
