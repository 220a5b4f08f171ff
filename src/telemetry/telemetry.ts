import type { CommonDimensions, TelemetryEventName, TelemetryMetricName } from './names';

/**
 * What the app emits. Activities and triggers call this; orchestrators never do (they are replayed), they
 * delegate to an activity or guard with `isReplaying`.
 */
export interface Telemetry {
  trackEvent(name: TelemetryEventName, dimensions: CommonDimensions, measurements?: Record<string, number>): void;
  trackMetric(name: TelemetryMetricName, value: number, dimensions?: CommonDimensions): void;
  trackException(error: Error, dimensions?: CommonDimensions): void;
  /** Sends what is buffered; resolves when the exporter has answered. */
  flush(): Promise<void>;
}
