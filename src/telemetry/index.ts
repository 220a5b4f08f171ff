export * from './names';
export type { Telemetry } from './telemetry';
