// Public surface of the local durable engine (used by dev/host). See docs/durable-engine.md.
export { captureDurableRegistrations } from './capture';
export type { CapturedDurable, RawActivityHandler, RawEntityHandler, RawOrchestrator } from './capture';
export { DurableRuntime } from './runtime';
export type { ActivityHandler, DurableRuntimeOptions } from './runtime';
export type { DispatcherStats } from './dispatcher';
export type { DurableHttpRequest, DurableHttpResponse } from './http-api';
export { WEBHOOK_PATH } from './http-api';
export { UnsupportedDurableFeatureError } from './classic/context';
export type { RuntimeStatus } from './instance-store';
