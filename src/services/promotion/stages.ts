import {
  type DeploymentSpec,
  mergedStageDeployment,
  type ModelEntry,
  type RegistryCoordinatesSpec,
  type WorkspaceCoordinatesSpec,
} from '../../catalog';

/**
 * A model's promotion path with each stage's release target resolved: its workspace (undefined: the app's) and its
 * deployment (the model's, with the stage's overrides). Pure; the catalog schema has validated every merge.
 */
export interface ResolvedStage {
  readonly name: string;
  readonly index: number;
  readonly workspace: WorkspaceCoordinatesSpec | undefined;
  /** The registry versions reach this stage through; undefined: copied into its workspace. */
  readonly registry: RegistryCoordinatesSpec | undefined;
  readonly deployment: DeploymentSpec;
  readonly promotion: 'manual' | 'automatic';
}

export function stagesOf(model: ModelEntry): ResolvedStage[] {
  return (model.stages ?? []).map((stage, index) => {
    const merged = mergedStageDeployment(model.deployment, stage.deployment);
    if (!merged.success) throw new Error(`catalog stage ${model.name}/${stage.name} has an invalid deployment`);
    return {
      name: stage.name,
      index,
      workspace: stage.workspace,
      registry: stage.registry,
      deployment: merged.data,
      promotion: stage.promotion,
    };
  });
}

/**
 * The stage a successful release in stage `index` promotes to by itself: the next one, when stage `index` declares
 * `promotion: automatic`; undefined otherwise (or for the last stage).
 */
export function automaticNextStage(model: ModelEntry, index: number): string | undefined {
  const stages = model.stages ?? [];
  return stages[index]?.promotion === 'automatic' ? stages[index + 1]?.name : undefined;
}

/** Whether two stages live in the same workspace (undefined = the app's workspace). */
export function sameWorkspace(
  a: WorkspaceCoordinatesSpec | undefined,
  b: WorkspaceCoordinatesSpec | undefined,
): boolean {
  if (!a || !b) return a === b;
  return (
    a.subscriptionId.toLowerCase() === b.subscriptionId.toLowerCase() &&
    a.resourceGroup.toLowerCase() === b.resourceGroup.toLowerCase() &&
    a.workspace.toLowerCase() === b.workspace.toLowerCase()
  );
}

/** A refused promotion request: the HTTP status and a message naming the problem. Nothing has happened yet. */
export interface PromotionRefusal {
  readonly status: 400 | 404 | 409;
  readonly field?: string | undefined;
  readonly message: string;
}

export interface PromotionTarget {
  readonly source: ResolvedStage;
  readonly target: ResolvedStage;
}

/** The source and target stage of a promotion to `to`, or why there is none (pure: catalog only). */
export function promotionTarget(model: ModelEntry, to: string): PromotionTarget | PromotionRefusal {
  const stages = stagesOf(model);
  if (stages.length === 0) {
    return { status: 409, message: `${model.name} declares no stages in the catalog: there is nothing to promote to` };
  }
  const target = stages.find((s) => s.name === to);
  if (!target) {
    return {
      status: 400,
      field: 'to',
      message: `unknown stage '${to}' of ${model.name} (stages: ${stages.map((s) => s.name).join(', ')})`,
    };
  }
  const source = stages[target.index - 1];
  if (!source) {
    return {
      status: 400,
      field: 'to',
      message: `'${to}' is the first stage of ${model.name}: retrains release there; promotions go to a later stage`,
    };
  }
  return { source, target };
}

/**
 * Whether `version` may be promoted from the source stage, given the version serving 100 % there (`live`). Only the
 * live version moves on, so a stage is never skipped and a superseded version is never promoted.
 */
export function sourceVersionProblem(
  model: string,
  source: ResolvedStage,
  target: ResolvedStage,
  live: string | undefined,
  version: string | undefined,
): PromotionRefusal | undefined {
  if (live === undefined) {
    return {
      status: 409,
      message: `no version of ${model} serves 100 % in ${source.name} (endpoint ${source.deployment.endpoint}): release one there before promoting to ${target.name}`,
    };
  }
  if (version !== undefined && version !== live) {
    return {
      status: 409,
      field: 'version',
      message: `version ${version} of ${model} is not live in ${source.name}, the stage before ${target.name} (live there: ${live}); promote stage by stage`,
    };
  }
  return undefined;
}

export function isRefusal(value: PromotionTarget | PromotionRefusal): value is PromotionRefusal {
  return 'status' in value;
}

/** One promotion per model and target stage: duplicates find the instance in flight. */
export function promotionInstanceId(model: string, stage: string): string {
  return `promote-${model}-${stage}`;
}
