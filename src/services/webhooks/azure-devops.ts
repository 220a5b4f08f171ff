import { z } from 'zod';

import { branchOf, type CiEvent } from './ci-event';
import { WebhookPayloadError } from './errors';
import { parseWith } from './parse';

/**
 * Azure DevOps service hook notifications: `git.push`, `build.complete` and
 * `ms.vss-pipelines.run-state-changed-event`.
 *
 * @remarks Shapes follow learn.microsoft.com "Service hooks events". `build.complete` exists in two resource
 * versions: the XAML-era sample (`status: "succeeded"`, `sourceGetVersion: "LG:<ref>:<sha>"`) and the Build resource
 * of current Azure DevOps (`status: "completed"`, `result`, `sourceBranch`, `sourceVersion`, `repository`); both are
 * read. Git pushes carry no file lists, so their changed paths are unknown (see docs/webhooks.md).
 */

const ZERO_SHA = /^0{40}$/;

const envelope = z
  .object({
    id: z.string().min(1).optional(),
    notificationId: z.union([z.number(), z.string()]).optional(),
    subscriptionId: z.string().optional(),
    eventType: z.string().min(1),
    resource: z.unknown(),
  })
  .loose()
  .refine((e) => e.id !== undefined || e.notificationId !== undefined, {
    message: 'a notification needs an id or notificationId (used to recognise redeliveries)',
    path: ['id'],
  });

const link = z.object({ href: z.string() }).loose();
const links = z.object({ web: link.optional() }).loose();

const gitPushResource = z
  .object({
    refUpdates: z
      .array(z.object({ name: z.string(), oldObjectId: z.string().optional(), newObjectId: z.string() }).loose())
      .min(1),
    repository: z
      .object({
        id: z.string().optional(),
        name: z.string().min(1),
        project: z.object({ name: z.string().optional() }).loose().optional(),
        remoteUrl: z.string().optional(),
      })
      .loose(),
    url: z.string().optional(),
  })
  .loose();

const buildResource = z
  .object({
    id: z.union([z.number(), z.string()]).optional(),
    buildNumber: z.string().optional(),
    status: z.string().optional(),
    result: z.string().optional(),
    sourceBranch: z.string().optional(),
    sourceVersion: z.string().optional(),
    sourceGetVersion: z.string().optional(),
    url: z.string().optional(),
    _links: links.optional(),
    definition: z.object({ name: z.string().optional() }).loose().optional(),
    project: z.object({ name: z.string().optional() }).loose().optional(),
    repository: z
      .object({ id: z.string().optional(), name: z.string().optional(), type: z.string().optional() })
      .loose()
      .optional(),
  })
  .loose();

const runResource = z
  .object({
    run: z
      .object({
        id: z.union([z.number(), z.string()]).optional(),
        name: z.string().optional(),
        state: z.string(),
        result: z.string().nullable().optional(),
        url: z.string().optional(),
        _links: links.optional(),
        resources: z
          .object({
            repositories: z
              .object({
                self: z
                  .object({
                    refName: z.string().optional(),
                    version: z.string().optional(),
                    repository: z
                      .object({
                        id: z.string().optional(),
                        fullName: z.string().optional(),
                        type: z.string().optional(),
                      })
                      .loose()
                      .optional(),
                  })
                  .loose()
                  .optional(),
              })
              .loose()
              .optional(),
          })
          .loose()
          .optional(),
      })
      .loose(),
    pipeline: z.object({ name: z.string().optional(), id: z.number().optional() }).loose().optional(),
  })
  .loose();

export type AzureDevOpsInterpretation =
  | { readonly kind: 'ignored'; readonly reason: string }
  | { readonly kind: 'events'; readonly events: readonly CiEvent[] };

/** Redelivery key of a notification: its event id, else subscription + notification id. */
export interface AzureDevOpsEnvelope {
  readonly eventType: string;
  readonly deliveryId: string;
}

/** Reads the fields every notification has. @throws WebhookPayloadError */
export function readAzureDevOpsEnvelope(payload: unknown): AzureDevOpsEnvelope {
  const e = parseWith(envelope, payload, 'notification');
  const deliveryId = e.id ?? `${e.subscriptionId ?? 'subscription'}:${String(e.notificationId)}`;
  return { eventType: e.eventType, deliveryId };
}

function repositoryName(project: string | undefined, name: string): string {
  // GitHub repositories built by Azure Pipelines are already named owner/name.
  return name.includes('/') || !project ? name : `${project}/${name}`;
}

function interpretGitPush(resource: unknown): AzureDevOpsInterpretation {
  const push = parseWith(gitPushResource, resource, 'resource');
  const repository = repositoryName(push.repository.project?.name, push.repository.name);
  const events: CiEvent[] = [];
  for (const update of push.refUpdates) {
    const branch = branchOf(update.name);
    if (branch === undefined || ZERO_SHA.test(update.newObjectId)) continue;
    const sha = update.newObjectId.toLowerCase();
    events.push({
      kind: 'push',
      provider: 'azureDevOps',
      repository,
      ...(push.repository.id ? { repositoryId: push.repository.id } : {}),
      ref: update.name,
      branch,
      sha,
      changedPaths: undefined,
      unknownPathsReason: 'Azure DevOps push notifications do not list changed files',
      ...(push.repository.remoteUrl
        ? { ciRunUrl: `${push.repository.remoteUrl}/commit/${sha}` }
        : push.url
          ? { ciRunUrl: push.url }
          : {}),
    });
  }
  if (events.length === 0) return { kind: 'ignored', reason: 'push updated no branch (tags or deletions only)' };
  return { kind: 'events', events };
}

/** `LG:refs/heads/main:<sha>` → ref and sha (XAML-era build payloads). */
function splitSourceGetVersion(value: string | undefined): { ref?: string; sha?: string } {
  const match = value ? /^LG:(refs\/[^:]+):([0-9a-fA-F]{40})$/.exec(value) : null;
  return match ? { ref: match[1], sha: match[2] } : {};
}

function interpretBuild(resource: unknown): AzureDevOpsInterpretation {
  const build = parseWith(buildResource, resource, 'resource');
  const outcome = (build.result ?? build.status ?? '').toLowerCase();
  if (outcome !== 'succeeded') {
    return { kind: 'ignored', reason: `build result '${outcome || 'unknown'}', not 'succeeded'` };
  }
  const legacy = splitSourceGetVersion(build.sourceGetVersion);
  const ref = build.sourceBranch ?? legacy.ref;
  const sha = build.sourceVersion ?? legacy.sha;
  if (!ref || !sha)
    throw new WebhookPayloadError(['resource.sourceBranch/sourceVersion: missing (which commit was built?)']);
  const branch = branchOf(ref);
  if (branch === undefined) return { kind: 'ignored', reason: `build of ${ref} is not a branch build` };
  const name = build.repository?.name;
  return {
    kind: 'events',
    events: [
      {
        kind: 'workflowRun',
        provider: 'azureDevOps',
        repository: name ? repositoryName(build.project?.name, name) : undefined,
        ...(build.repository?.id ? { repositoryId: build.repository.id } : {}),
        ref,
        branch,
        sha: sha.toLowerCase(),
        workflow: build.definition?.name ?? build.buildNumber ?? String(build.id ?? 'build'),
        ...((build._links?.web?.href ?? build.url) ? { ciRunUrl: build._links?.web?.href ?? build.url } : {}),
      },
    ],
  };
}

function interpretRun(resource: unknown): AzureDevOpsInterpretation {
  const { run, pipeline } = parseWith(runResource, resource, 'resource');
  if (run.state.toLowerCase() !== 'completed') {
    return { kind: 'ignored', reason: `pipeline run state '${run.state}', not 'completed'` };
  }
  if ((run.result ?? '').toLowerCase() !== 'succeeded') {
    return { kind: 'ignored', reason: `pipeline run result '${run.result ?? 'none'}', not 'succeeded'` };
  }
  const self = run.resources?.repositories?.self;
  if (!self?.refName || !self.version) {
    throw new WebhookPayloadError([
      'resource.run.resources.repositories.self.refName/version: missing (which commit did the run build?)',
    ]);
  }
  const branch = branchOf(self.refName);
  if (branch === undefined) return { kind: 'ignored', reason: `run of ${self.refName} is not a branch run` };
  const webUrl = run._links?.web?.href ?? run.url;
  return {
    kind: 'events',
    events: [
      {
        kind: 'workflowRun',
        provider: 'azureDevOps',
        repository: self.repository?.fullName,
        ...(self.repository?.id ? { repositoryId: self.repository.id } : {}),
        ref: self.refName,
        branch,
        sha: self.version.toLowerCase(),
        workflow: pipeline?.name ?? run.name ?? String(run.id ?? 'run'),
        ...(webUrl ? { ciRunUrl: webUrl } : {}),
      },
    ],
  };
}

export const AZURE_DEVOPS_EVENTS = ['git.push', 'build.complete', 'ms.vss-pipelines.run-state-changed-event'] as const;

/**
 * Turns an authenticated Azure DevOps notification into what the orchestrator acts on.
 *
 * @throws WebhookPayloadError when the payload lacks a field its event requires.
 */
export function interpretAzureDevOpsNotification(payload: unknown): AzureDevOpsInterpretation {
  const { eventType } = readAzureDevOpsEnvelope(payload);
  const resource = (payload as { resource?: unknown }).resource;
  switch (eventType) {
    case 'git.push':
      return interpretGitPush(resource);
    case 'build.complete':
      return interpretBuild(resource);
    case 'ms.vss-pipelines.run-state-changed-event':
      return interpretRun(resource);
    default:
      return {
        kind: 'ignored',
        reason: `Azure DevOps event '${eventType}' is not supported (${AZURE_DEVOPS_EVENTS.join(', ')})`,
      };
  }
}
