export * from './names';
export type { Telemetry } from './telemetry';
export { createTelemetry } from './app-insights';
