/**
 * The forms of Azure ML references the catalog accepts for fields the REST API takes as ARM resource ids
 * (`componentId`, `settings.default_compute`, a deployment's `environmentId` and `codeConfiguration.codeId`). Short
 * forms are resolved to ARM ids of the configured workspace by `src/azureml/references.ts`; forms that need a lookup
 * (`@latest`, no version) are refused here, naming the field.
 */

export type AssetCollection = 'components' | 'environments' | 'codes';

const WORKSPACE_ID =
  '/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\\.MachineLearningServices/workspaces/[^/]+';

/** `/subscriptions/…/workspaces/<ws>/<collection>/<name>/versions/<version>`. */
export function armAssetVersion(collection: AssetCollection): RegExp {
  return new RegExp(`^${WORKSPACE_ID}/${collection}/[^/]+/versions/[^/]+$`, 'i');
}

/** `azureml://registries/<registry>/<collection>/<name>/versions/<version>` (environments also `/labels/<label>`). */
export function registryAsset(collection: AssetCollection): RegExp {
  const tail = collection === 'environments' ? '(?:versions|labels)/[^/]+' : 'versions/[^/]+';
  return new RegExp(`^azureml://registries/[^/]+/${collection}/[^/]+/${tail}$`, 'i');
}

export const SHORT_ASSET_VERSION = /^azureml:([^:/@]+):([^:/@]+)$/;
export const ARM_COMPUTE = new RegExp(`^${WORKSPACE_ID}/computes/[^/]+$`, 'i');
export const COMPUTE_NAME = /^(?:azureml:)?([a-zA-Z][a-zA-Z0-9-]{1,31})$/;

const SINGULAR: Record<AssetCollection, string> = {
  components: 'component',
  environments: 'environment',
  codes: 'code',
};

/** What a field of this collection accepts, for validation messages. */
export function assetReferenceHint(collection: AssetCollection): string {
  const what = SINGULAR[collection];
  return `must be the ${what} version ARM id (/subscriptions/…/workspaces/<ws>/${collection}/<name>/versions/<version>), azureml://registries/<registry>/${collection}/<name>/versions/<version> or azureml:<name>:<version> (a version is required: @latest and unversioned references need a lookup)`;
}

export const COMPUTE_REFERENCE_HINT =
  'must be the compute ARM id (/subscriptions/…/workspaces/<ws>/computes/<name>), azureml:<name> or a compute name (2-32 letters, digits and hyphens, starting with a letter)';

export function isAssetReference(collection: AssetCollection, value: string): boolean {
  return (
    armAssetVersion(collection).test(value) || registryAsset(collection).test(value) || SHORT_ASSET_VERSION.test(value)
  );
}

export function isComputeReference(value: string): boolean {
  return ARM_COMPUTE.test(value) || COMPUTE_NAME.test(value);
}
