import { z } from 'zod';

import { branchOf, type CiEvent } from './ci-event';
import { parseWith } from './parse';

/**
 * GitHub webhook deliveries: `ping`, `push` and `workflow_run`.
 *
 * @remarks Schemas name only the fields the orchestrator reads and let everything else through, so GitHub adding
 * fields never breaks delivery. Shapes follow docs.github.com "Webhook events and payloads".
 */

/** GitHub caps `commits` of a push payload at this many entries; a full list may have been cut. */
export const GITHUB_MAX_PUSH_COMMITS = 2048;

const sha = z.string().regex(/^[0-9a-f]{40}$/i, 'must be a 40-character commit SHA');

const repository = z.object({ full_name: z.string().min(3) }).loose();

const commit = z
  .object({
    id: z.string(),
    added: z.array(z.string()).default([]),
    modified: z.array(z.string()).default([]),
    removed: z.array(z.string()).default([]),
  })
  .loose();

export const gitHubPushSchema = z
  .object({
    ref: z.string().min(1),
    before: z.string().optional(),
    after: sha,
    created: z.boolean().default(false),
    deleted: z.boolean().default(false),
    forced: z.boolean().default(false),
    compare: z.string().optional(),
    commits: z.array(commit).default([]),
    head_commit: commit.nullable().optional(),
    repository,
  })
  .loose();

export const gitHubWorkflowRunSchema = z
  .object({
    action: z.string(),
    workflow_run: z
      .object({
        id: z.number(),
        name: z.string().nullable().optional(),
        head_branch: z.string().nullable(),
        head_sha: sha,
        status: z.string().nullable().optional(),
        conclusion: z.string().nullable(),
        html_url: z.string().optional(),
        event: z.string().optional(),
      })
      .loose(),
    repository,
  })
  .loose();

export const gitHubPingSchema = z.object({ zen: z.string().optional(), hook_id: z.number().optional() }).loose();

export type GitHubInterpretation =
  | { readonly kind: 'ping'; readonly hookId: number | undefined }
  | { readonly kind: 'ignored'; readonly reason: string }
  | { readonly kind: 'event'; readonly event: CiEvent };

function uniqueChangedPaths(commits: readonly z.infer<typeof commit>[]): string[] {
  const paths = new Set<string>();
  for (const c of commits) for (const p of [...c.added, ...c.modified, ...c.removed]) paths.add(p);
  return [...paths];
}

function interpretPush(payload: unknown): GitHubInterpretation {
  const push = parseWith(gitHubPushSchema, payload, 'push');
  const branch = branchOf(push.ref);
  if (branch === undefined) return { kind: 'ignored', reason: `push to ${push.ref} is not a branch` };
  if (push.deleted) return { kind: 'ignored', reason: `branch ${branch} was deleted` };

  let changedPaths: string[] | undefined = uniqueChangedPaths(push.commits);
  let unknownPathsReason: string | undefined;
  if (push.commits.length >= GITHUB_MAX_PUSH_COMMITS) {
    changedPaths = undefined;
    unknownPathsReason = `GitHub lists at most ${GITHUB_MAX_PUSH_COMMITS} commits per push; the list may be cut`;
  } else if (push.commits.length === 0 && (push.forced || push.created)) {
    changedPaths = undefined;
    unknownPathsReason = push.forced
      ? 'force push without a commit list'
      : 'branch created without new commits; its changes are not listed';
  }
  return {
    kind: 'event',
    event: {
      kind: 'push',
      provider: 'github',
      repository: push.repository.full_name,
      ref: push.ref,
      branch,
      sha: push.after.toLowerCase(),
      changedPaths,
      ...(unknownPathsReason ? { unknownPathsReason } : {}),
      ...(push.compare ? { ciRunUrl: push.compare } : {}),
    },
  };
}

function interpretWorkflowRun(payload: unknown): GitHubInterpretation {
  const delivery = parseWith(gitHubWorkflowRunSchema, payload, 'workflow_run');
  const run = delivery.workflow_run;
  if (delivery.action !== 'completed') {
    return { kind: 'ignored', reason: `workflow_run action '${delivery.action}' (only 'completed' is acted on)` };
  }
  if (run.conclusion !== 'success') {
    return { kind: 'ignored', reason: `workflow run concluded '${run.conclusion ?? 'null'}', not 'success'` };
  }
  if (!run.head_branch) return { kind: 'ignored', reason: 'workflow run has no head branch' };
  return {
    kind: 'event',
    event: {
      kind: 'workflowRun',
      provider: 'github',
      repository: delivery.repository.full_name,
      ref: `refs/heads/${run.head_branch}`,
      branch: run.head_branch,
      sha: run.head_sha.toLowerCase(),
      workflow: run.name ?? String(run.id),
      ...(run.html_url ? { ciRunUrl: run.html_url } : {}),
    },
  };
}

/**
 * Turns a verified GitHub delivery into what the orchestrator acts on.
 *
 * @param eventName the `X-GitHub-Event` header.
 * @throws WebhookPayloadError when the payload lacks a field its event requires.
 */
export function interpretGitHubDelivery(eventName: string, payload: unknown): GitHubInterpretation {
  switch (eventName) {
    case 'ping': {
      const ping = parseWith(gitHubPingSchema, payload, 'ping');
      return { kind: 'ping', hookId: ping.hook_id };
    }
    case 'push':
      return interpretPush(payload);
    case 'workflow_run':
      return interpretWorkflowRun(payload);
    default:
      return { kind: 'ignored', reason: `GitHub event '${eventName}' is not supported (push, workflow_run, ping)` };
  }
}
