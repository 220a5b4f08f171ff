/**
 * What a CI webhook says happened, independent of the CI system that sent it.
 */

export type CiProvider = 'github' | 'azureDevOps' | 'generic';

/** A push of commits to a branch. */
export interface PushEvent {
  readonly kind: 'push';
  readonly provider: CiProvider;
  /** `owner/name` (GitHub) or `project/repository` (Azure DevOps). */
  readonly repository: string;
  /** Repository id, when the payload has one (Azure DevOps). */
  readonly repositoryId?: string;
  /** Full ref, e.g. `refs/heads/main`. */
  readonly ref: string;
  /** Branch name without `refs/heads/`. */
  readonly branch: string;
  /** Head commit after the push. */
  readonly sha: string;
  /**
   * Paths added, modified or removed by the pushed commits; `undefined` when the payload does not say (GitHub cut
   * the commit list, a force push without commits, Azure DevOps pushes which carry no file lists).
   */
  readonly changedPaths: readonly string[] | undefined;
  /** Why `changedPaths` is unknown, for the trigger record. */
  readonly unknownPathsReason?: string;
  /** Link to the change in the CI system (compare view / push). */
  readonly ciRunUrl?: string;
}

/** A CI workflow / pipeline run that finished successfully. */
export interface WorkflowRunEvent {
  readonly kind: 'workflowRun';
  readonly provider: CiProvider;
  /** Repository as above; `undefined` when the payload names none (Azure Repos pipeline runs carry only an id). */
  readonly repository: string | undefined;
  /** Repository id, when the payload has one (Azure DevOps). */
  readonly repositoryId?: string;
  readonly ref: string;
  readonly branch: string;
  readonly sha: string;
  readonly ciRunUrl?: string;
  /** Workflow / pipeline name, for the trigger record. */
  readonly workflow: string;
}

export type CiEvent = PushEvent | WorkflowRunEvent;

/** Git lineage a trigger carries into the registered model version. */
export interface GitLineage {
  readonly provider: CiProvider;
  readonly repository: string;
  readonly sha: string;
  readonly ref: string;
  readonly ciRunUrl?: string;
}

const HEADS = 'refs/heads/';

/** `refs/heads/main` → `main`; any other ref (tags, pull refs) → undefined. */
export function branchOf(ref: string): string | undefined {
  return ref.startsWith(HEADS) ? ref.slice(HEADS.length) : undefined;
}

/** Normalises a repository name for comparison: owner/name is case-insensitive on GitHub and Azure DevOps. */
export function sameRepository(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
