// Public surface of the local durable engine (used by dev/host). See docs/durable-engine.md.
export { DurableRuntime } from './runtime';
export type { ActivityFunction, DurableRuntimeOptions, OrchestrationFunction } from './runtime';
export type { EngineStats } from './engine';
export type { DurableHttpRequest, DurableHttpResponse } from './http-api';
export { WEBHOOK_PATH } from './http-api';
export type { FailureShape } from './failures';
export { StateStore } from './state-store';
export type { Persistence, RuntimeStatus } from './state-store';
export { persistenceFor } from './storage-connection';
export { TablePersistence } from './table-persistence';
