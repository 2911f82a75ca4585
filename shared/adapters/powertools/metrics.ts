import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MetricsSink } from '../../ports/metrics';

/**
 * {@link MetricsSink} on Powertools Metrics (CloudWatch Embedded Metric Format on stdout).
 * Undimensioned metrics share one EMF blob per flush; dimensioned ones (by provider / code) go out
 * as single metrics so their dimensions do not leak onto the others.
 */
export function createMetrics(options: {
  namespace: string;
  serviceName: string;
  enabled?: boolean;
}): MetricsSink {
  if (options.enabled === false) return { count: () => {}, milliseconds: () => {}, flush: () => {} };
  const metrics = new Metrics({ namespace: options.namespace, serviceName: options.serviceName });
  // Powertools warns on every flush without metrics; an idle scan or empty batch is normal here.
  let pending = false;
  const add = (
    name: string,
    unit: (typeof MetricUnit)[keyof typeof MetricUnit],
    value: number,
    dimensions?: Readonly<Record<string, string>>,
  ) => {
    if (dimensions === undefined || Object.keys(dimensions).length === 0) {
      pending = true;
      metrics.addMetric(name, unit, value);
      return;
    }
    const single = metrics.singleMetric();
    for (const [k, v] of Object.entries(dimensions)) single.addDimension(k, v);
    single.addMetric(name, unit, value);
  };
  return {
    count: (name, value = 1, dimensions) => add(name, MetricUnit.Count, value, dimensions),
    milliseconds: (name, value, dimensions) => add(name, MetricUnit.Milliseconds, value, dimensions),
    flush: () => {
      if (!pending) return;
      pending = false;
      metrics.publishStoredMetrics();
    },
  };
}
