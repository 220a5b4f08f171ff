export { CatalogError, findModel, loadCatalog, parseCatalog } from './load';
export * from './schema';
export { parameterOverrideProblems } from './parameters';
