export * from './names';
export type { Telemetry } from './telemetry';
export { createTelemetry, type TelemetryAuthentication } from './app-insights';
