export { CatalogError, findModel, findRetrainModel, loadCatalog, parseCatalog } from './load';
export * from './schema';
export { parameterOverrideProblems } from './parameters';
