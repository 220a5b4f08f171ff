/**
 * The `Telemetry` implementation over the Application Insights 3.x SDK (OpenTelemetry based).
 *
 * @remarks A client with its own (non-global) providers: the app only sends what it names, through the classic
 * track* API, and tests can create several clients in one process. Without a connection string nothing is sent or
 * logged, so the app runs the same with telemetry switched off.
 */
import { TelemetryClient } from 'applicationinsights';

import type { CommonDimensions, TelemetryEventName, TelemetryMetricName } from './names';
import type { Telemetry } from './telemetry';

/** Drops dimensions without a value; Application Insights properties are strings. */
function toProperties(dimensions: CommonDimensions | undefined): Record<string, string> {
  const properties: Record<string, string> = {};
  for (const [key, value] of Object.entries(dimensions ?? {})) if (value !== undefined) properties[key] = value;
  return properties;
}

const noopTelemetry: Telemetry = Object.freeze({
  trackEvent: () => undefined,
  trackMetric: () => undefined,
  trackException: () => undefined,
  flush: () => Promise.resolve(),
});

export function createTelemetry(connectionString: string | undefined): Telemetry {
  if (!connectionString) return noopTelemetry;
  const client = new TelemetryClient(connectionString, { useGlobalProviders: false });
  return {
    trackEvent(name: TelemetryEventName, dimensions: CommonDimensions, measurements?: Record<string, number>): void {
      client.trackEvent({ name, properties: toProperties(dimensions), measurements });
    },
    trackMetric(name: TelemetryMetricName, value: number, dimensions?: CommonDimensions): void {
      client.trackMetric({ name, value, properties: toProperties(dimensions) });
    },
    trackException(error: Error, dimensions?: CommonDimensions): void {
      client.trackException({ exception: error, properties: toProperties(dimensions) });
    },
    flush: () => client.flush(),
  };
}
