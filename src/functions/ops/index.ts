export * from './contract';
export {
  backfillDates,
  MAX_BACKFILL_DAYS,
  MAX_OPS_BODY_BYTES,
  type OperationEdge,
  opsHandlers,
  type OpsOperation,
  runOperation,
  statusUrl,
} from './handlers';
export { buildOpenApiDocument, OPENAPI_ROUTE, webhookRoutes } from './openapi';
export { OPENAPI_FUNCTION_NAME, type OperationsServiceFactory, registerOpsFunctions } from './register';
export {
  OPS_AUTH_LEVEL,
  opsPath,
  opsRoute,
  opsRoutes,
  type OpsRoute,
  pathParameters,
  REGISTERED_METHODS,
} from './routes';
export {
  type BackfillStarted,
  BatchRunNotFoundError,
  ConflictError,
  DeploymentNotFoundError,
  EndpointNotFoundError,
  InvalidRequestError,
  type OperationsService,
  RunNotFoundError,
  UnknownModelError,
} from './service';
