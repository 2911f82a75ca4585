/**
 * Counters and timings for CloudWatch (EMF via Powertools on AWS and locally). Dimensions carry
 * classifications (provider, error code), never identifiers of end users or secrets.
 */
export interface MetricsSink {
  count(name: string, value?: number, dimensions?: Readonly<Record<string, string>>): void;
  milliseconds(name: string, value: number, dimensions?: Readonly<Record<string, string>>): void;
  /** Writes what was collected (end of an invocation / scan). */
  flush(): void;
}

export const nullMetrics: MetricsSink = { count: () => {}, milliseconds: () => {}, flush: () => {} };
