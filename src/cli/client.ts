import type {
  BackfillAccepted,
  BackfillRequestBody,
  BatchRunDetail,
  BatchRunPage,
  DecisionRequestBody,
  DeploymentLogs,
  EndpointDetail,
  EndpointList,
  ModelDetail,
  ModelList,
  OperationAccepted,
  RetrainRequestBody,
  PromoteRequestBody,
  RollbackRequestBody,
  RunDetail,
  RunPage,
  ScoreRequestBody,
  ScoreResult,
  TriggerAccepted,
  TriggerPage,
} from '../functions/ops/contract';
import { opsPath } from '../functions/ops/routes';
import { CliError, ExitCodes } from './errors';

export interface OpsClientOptions {
  /** Base URL of the function app (with or without /api). */
  readonly url: string;
  readonly key: string | undefined;
  readonly timeoutInMs?: number;
  readonly fetch?: typeof fetch;
}

export interface ListRunsFilter {
  model?: string;
  kind?: string;
  status?: string;
  from?: string;
  to?: string;
  pageSize?: number;
  continuationToken?: string;
}

export interface ListTriggersFilter {
  model?: string;
  fate?: string;
  from?: string;
  pageSize?: number;
  continuationToken?: string;
}

export interface ListBatchRunsFilter {
  model?: string;
  status?: string;
  from?: string;
  to?: string;
  pageSize?: number;
  continuationToken?: string;
}

/** An RFC 9457 problem as the operations API answers errors (src/functions/http/problems.ts). */
interface ProblemBody {
  type?: string;
  title?: string;
  detail?: string;
  errors?: { field?: string; message?: string }[];
  invocationId?: string;
}

/**
 * A small client of the operations API (function-key auth through the x-functions-key header). Paths come from the
 * route table (src/functions/ops/routes.ts), so the CLI cannot call a route the app does not register.
 */
export class OpsClient {
  private readonly base: string;

  constructor(private readonly options: OpsClientOptions) {
    const trimmed = options.url.replace(/\/+$/, '');
    this.base = /\/api$/.test(trimmed) ? trimmed : `${trimmed}/api`;
  }

  listRuns(filter: ListRunsFilter): Promise<RunPage> {
    return this.request<RunPage>('GET', withQuery(opsPath('listRuns'), filter));
  }

  listTriggers(filter: ListTriggersFilter): Promise<TriggerPage> {
    return this.request<TriggerPage>('GET', withQuery(opsPath('listTriggers'), filter));
  }

  getRun(runId: string): Promise<RunDetail> {
    return this.request<RunDetail>('GET', opsPath('getRun', { runId }));
  }

  retrain(model: string, body: RetrainRequestBody): Promise<TriggerAccepted> {
    return this.request<TriggerAccepted>('POST', opsPath('retrain', { model }), body);
  }

  decide(runId: string, approve: boolean, body: DecisionRequestBody): Promise<OperationAccepted> {
    return this.request<OperationAccepted>('POST', opsPath(approve ? 'approve' : 'reject', { runId }), body);
  }

  promote(model: string, body: PromoteRequestBody): Promise<OperationAccepted> {
    return this.request<OperationAccepted>('POST', opsPath('promote', { model }), body);
  }

  rollback(model: string, body: RollbackRequestBody): Promise<OperationAccepted> {
    return this.request<OperationAccepted>('POST', opsPath('rollback', { model }), body);
  }

  cancel(runId: string, reason: string | undefined): Promise<OperationAccepted> {
    return this.request<OperationAccepted>('POST', opsPath('cancel', { runId }), reason ? { reason } : {});
  }

  deploymentLogs(
    model: string,
    query: { deployment?: string; container?: string; tail?: number },
  ): Promise<DeploymentLogs> {
    return this.request<DeploymentLogs>('GET', withQuery(opsPath('deploymentLogs', { model }), query));
  }

  score(model: string, body: ScoreRequestBody): Promise<ScoreResult> {
    return this.request<ScoreResult>('POST', opsPath('score', { model }), body);
  }

  listModels(): Promise<ModelList> {
    return this.request<ModelList>('GET', opsPath('listModels'));
  }

  getModel(model: string): Promise<ModelDetail> {
    return this.request<ModelDetail>('GET', opsPath('getModel', { model }));
  }

  listEndpoints(): Promise<EndpointList> {
    return this.request<EndpointList>('GET', opsPath('listEndpoints'));
  }

  getEndpoint(endpoint: string): Promise<EndpointDetail> {
    return this.request<EndpointDetail>('GET', opsPath('getEndpoint', { endpoint }));
  }

  listBatchRuns(filter: ListBatchRunsFilter): Promise<BatchRunPage> {
    return this.request<BatchRunPage>('GET', withQuery(opsPath('listBatchRuns'), filter));
  }

  getBatchRun(runId: string): Promise<BatchRunDetail> {
    return this.request<BatchRunDetail>('GET', opsPath('getBatchRun', { runId }));
  }

  backfill(model: string, body: BackfillRequestBody): Promise<BackfillAccepted> {
    return this.request<BackfillAccepted>('POST', opsPath('backfill', { model }), body);
  }

  private async request<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const url = `${this.base}/${path}`;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.options.key) headers['x-functions-key'] = this.options.key;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await (this.options.fetch ?? fetch)(url, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(this.options.timeoutInMs ?? 30_000),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
      throw new CliError(
        `Cannot reach ${this.base} (${cause}). Is the host running (npm start) or the --url right?`,
        ExitCodes.unreachable,
        { cause: err },
      );
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? (JSON.parse(text) as unknown) : undefined;
    } catch {
      parsed = undefined;
    }
    if (response.ok) return parsed as T;
    throw this.toError(response.status, parsed as ProblemBody | undefined, text);
  }

  private toError(status: number, problem: ProblemBody | undefined, text: string): CliError {
    const detail = problem?.detail ?? (text.trim().slice(0, 200) || `HTTP ${status}`);
    const fields = (problem?.errors ?? []).map((e) => `${e.field ?? '?'}: ${e.message ?? ''}`);
    const problems = fields.length ? `\n  - ${fields.join('\n  - ')}` : '';
    if (status === 401 || status === 403) {
      return new CliError(
        `Unauthorized (${status}): the function key was ${this.options.key ? 'rejected' : 'not given'}; pass --key or set MLOPS_KEY.`,
        ExitCodes.unauthorized,
      );
    }
    if (status === 404) return new CliError(`Not found: ${detail}`, ExitCodes.notFound);
    if (status === 400 || status === 405 || status === 409 || status === 413) {
      return new CliError(`Rejected (${status}): ${detail}${problems}`, ExitCodes.rejected);
    }
    const invocation = problem?.invocationId ? ` (invocation ${problem.invocationId})` : '';
    return new CliError(`Server error (${status}): ${detail}${invocation}`, ExitCodes.failure);
  }
}

function withQuery(path: string, filter: object): string {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(filter)) if (v !== undefined && v !== '') query.set(k, String(v));
  const qs = query.toString();
  return `${path}${qs ? `?${qs}` : ''}`;
}
