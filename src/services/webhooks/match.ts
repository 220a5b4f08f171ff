import { minimatch } from 'minimatch';

import { type Catalog, type GitTrigger, type ModelEntry, retrainModels } from '../../catalog';
import { type CiEvent, sameRepository } from './ci-event';

/** A model a CI event triggers, and why (recorded with the trigger). */
export interface ModelMatch {
  readonly model: ModelEntry;
  readonly gitTrigger: GitTrigger;
  readonly reason: string;
}

/** Why no model matched, per model with git triggers, for the `ignored` answer and the trigger ledger. */
export interface MatchOutcome {
  readonly matches: readonly ModelMatch[];
  readonly misses: readonly string[];
}

const GLOB = { dot: true, nocomment: true, nonegate: false } as const;

/** Branch entries may be names (`main`) or globs (`release/*`). */
export function branchMatches(patterns: readonly string[], branch: string): boolean {
  return patterns.some((p) => p === branch || minimatch(branch, p, GLOB));
}

/** The first changed path that matches one of the globs, if any. Paths are repository-relative, without `/`. */
export function firstMatchingPath(globs: readonly string[], paths: readonly string[]): string | undefined {
  for (const path of paths) {
    const clean = path.replace(/^\/+/, '');
    if (globs.some((g) => minimatch(clean, g.replace(/^\/+/, ''), GLOB))) return clean;
  }
  return undefined;
}

function repositoryMatches(trigger: GitTrigger, event: CiEvent): boolean {
  if (event.repository !== undefined && sameRepository(trigger.repository, event.repository)) return true;
  return (
    trigger.repositoryId !== undefined &&
    event.repositoryId !== undefined &&
    trigger.repositoryId.toLowerCase() === event.repositoryId.toLowerCase()
  );
}

/** Why `trigger` fires for `event`, or why not (prefixed with `!`). */
function evaluate(trigger: GitTrigger, event: CiEvent): { hit: boolean; why: string } {
  const repo = event.repository ?? event.repositoryId ?? '(unnamed repository)';
  if (!repositoryMatches(trigger, event)) return { hit: false, why: `repository ${repo} is not ${trigger.repository}` };
  if (!branchMatches(trigger.branches, event.branch)) {
    return { hit: false, why: `branch ${event.branch} is not one of ${trigger.branches.join(', ')}` };
  }
  if (event.kind === 'workflowRun') {
    return trigger.onWorkflowRun
      ? { hit: true, why: `workflow '${event.workflow}' succeeded on ${repo}@${event.branch}` }
      : { hit: false, why: `onWorkflowRun is off for ${trigger.repository}` };
  }
  if (trigger.paths.length === 0) return { hit: true, why: `push to ${repo}@${event.branch} (any path)` };
  if (event.changedPaths === undefined) {
    const cause = event.unknownPathsReason ?? 'changed paths unknown';
    return trigger.unknownPaths === 'match'
      ? { hit: true, why: `push to ${repo}@${event.branch}; ${cause}; unknownPaths=match` }
      : { hit: false, why: `${cause}; unknownPaths=ignore` };
  }
  const path = firstMatchingPath(trigger.paths, event.changedPaths);
  return path
    ? { hit: true, why: `push to ${repo}@${event.branch} changed ${path}` }
    : { hit: false, why: `no changed path matches ${trigger.paths.join(', ')}` };
}

/**
 * Which catalog models a CI event retrains: repository (case-insensitive, or Azure Repos id), branch (name or glob),
 * and for pushes the changed paths against the model's globs (minimatch, dot files included). A model matches once
 * even if several of its git triggers do.
 */
export function matchModels(catalog: Catalog, event: CiEvent): MatchOutcome {
  const matches: ModelMatch[] = [];
  const misses: string[] = [];
  for (const model of retrainModels(catalog)) {
    if (model.triggers.git.length === 0) continue;
    let hit: ModelMatch | undefined;
    const whyNot: string[] = [];
    for (const gitTrigger of model.triggers.git) {
      const result = evaluate(gitTrigger, event);
      if (result.hit) {
        hit = { model, gitTrigger, reason: result.why };
        break;
      }
      whyNot.push(result.why);
    }
    if (hit) matches.push(hit);
    else misses.push(`${model.name}: ${whyNot.join('; ')}`);
  }
  return { matches, misses };
}
