export * from './contract';
export { opsHandlers, type OpsOperation, runOperation, statusUrl } from './handlers';
export { buildOpenApiDocument, OPENAPI_ROUTE, webhookRoutes } from './openapi';
export { OPENAPI_FUNCTION_NAME, type OperationsServiceFactory, registerOpsFunctions } from './register';
export { opsRoutes, type OpsRoute, pathParameters } from './routes';
export {
  ConflictError,
  DeploymentNotFoundError,
  InvalidRequestError,
  type OperationsService,
  RunNotFoundError,
  UnknownModelError,
} from './service';
