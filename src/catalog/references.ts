/**
 * The forms of Azure ML references the catalog accepts for fields the REST API takes as ARM resource ids
 * (`componentId`, `settings.default_compute`). Short forms are resolved to ARM ids of the configured workspace by
 * `src/azureml/references.ts`; forms that need a lookup (`@latest`, no version) are refused here, naming the field.
 */

export const ARM_COMPONENT_VERSION =
  /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.MachineLearningServices\/workspaces\/[^/]+\/components\/[^/]+\/versions\/[^/]+$/i;
export const REGISTRY_COMPONENT_VERSION = /^azureml:\/\/registries\/[^/]+\/components\/[^/]+\/versions\/[^/]+$/i;
export const SHORT_COMPONENT_VERSION = /^azureml:([^:/@]+):([^:/@]+)$/;
export const ARM_COMPUTE =
  /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.MachineLearningServices\/workspaces\/[^/]+\/computes\/[^/]+$/i;
export const COMPUTE_NAME = /^(?:azureml:)?([a-zA-Z][a-zA-Z0-9-]{1,31})$/;

export const COMPONENT_REFERENCE_HINT =
  'must be the component version ARM id (/subscriptions/…/workspaces/<ws>/components/<name>/versions/<version>), azureml://registries/<registry>/components/<name>/versions/<version> or azureml:<name>:<version> (a version is required: @latest and unversioned references need a lookup)';
export const COMPUTE_REFERENCE_HINT =
  'must be the compute ARM id (/subscriptions/…/workspaces/<ws>/computes/<name>), azureml:<name> or a compute name (2-32 letters, digits and hyphens, starting with a letter)';

export function isComponentReference(value: string): boolean {
  return (
    ARM_COMPONENT_VERSION.test(value) || REGISTRY_COMPONENT_VERSION.test(value) || SHORT_COMPONENT_VERSION.test(value)
  );
}

export function isComputeReference(value: string): boolean {
  return ARM_COMPUTE.test(value) || COMPUTE_NAME.test(value);
}
