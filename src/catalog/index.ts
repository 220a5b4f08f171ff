export { CatalogError, findModel, loadCatalog, parseCatalog } from './load';
export * from './schema';
