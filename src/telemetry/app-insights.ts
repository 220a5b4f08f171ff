/**
 * The `Telemetry` implementation over the Application Insights 3.x SDK (OpenTelemetry based).
 *
 * @remarks A client with its own (non-global) providers: the app only sends what it names, through the classic
 * track* API, and tests can create several clients in one process. Without a connection string nothing is sent or
 * logged, so the app runs the same with telemetry switched off. With Entra authentication the token comes from the
 * platform's managed-identity endpoint (locally the dev host's), the same path the app's other Azure clients use.
 */
import { ManagedIdentityCredential } from '@azure/identity';
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

/** How the exporter authenticates: the instrumentation key alone, or a Microsoft Entra token of a managed identity. */
export interface TelemetryAuthentication {
  /** Client id of a user-assigned managed identity; undefined: the system-assigned one. */
  readonly clientId: string | undefined;
}

/**
 * @param authentication When given (APPLICATIONINSIGHTS_AUTHENTICATION_STRING), every export carries a managed-identity
 * token for Azure Monitor, as the Functions host's own telemetry does; a component with local authentication disabled
 * accepts nothing else. The identity needs "Monitoring Metrics Publisher" on the component.
 */
export function createTelemetry(
  connectionString: string | undefined,
  authentication?: TelemetryAuthentication,
): Telemetry {
  if (!connectionString) return noopTelemetry;
  const client = new TelemetryClient(connectionString, { useGlobalProviders: false });
  if (authentication) {
    // Read by the client when it builds its exporter (first track call): the exporter then asks for a token itself.
    client.config.aadTokenCredential = new ManagedIdentityCredential(
      authentication.clientId ? { clientId: authentication.clientId } : {},
    );
  }
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
