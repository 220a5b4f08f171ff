import type {
  DecisionRequestBody,
  DeploymentLogs,
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

interface ProblemBody {
  error?: { code?: string; message?: string; problems?: string[] };
}

/** A small client of the operations API (function-key auth through the x-functions-key header). */
export class OpsClient {
  private readonly base: string;

  constructor(private readonly options: OpsClientOptions) {
    const trimmed = options.url.replace(/\/+$/, '');
    this.base = /\/api$/.test(trimmed) ? trimmed : `${trimmed}/api`;
  }

  listRuns(filter: ListRunsFilter): Promise<RunPage> {
    return this.request<RunPage>('GET', withQuery('ops/runs', filter));
  }

  listTriggers(filter: ListTriggersFilter): Promise<TriggerPage> {
    return this.request<TriggerPage>('GET', withQuery('ops/triggers', filter));
  }

  getRun(runId: string): Promise<RunDetail> {
    return this.request<RunDetail>('GET', `ops/runs/${encodeURIComponent(runId)}`);
  }

  retrain(model: string, body: RetrainRequestBody): Promise<TriggerAccepted> {
    return this.request<TriggerAccepted>('POST', `ops/models/${encodeURIComponent(model)}/retrain`, body);
  }

  decide(runId: string, approve: boolean, body: DecisionRequestBody): Promise<OperationAccepted> {
    const op = approve ? 'approve' : 'reject';
    return this.request<OperationAccepted>('POST', `ops/runs/${encodeURIComponent(runId)}/${op}`, body);
  }

  promote(model: string, body: PromoteRequestBody): Promise<OperationAccepted> {
    return this.request<OperationAccepted>('POST', `ops/models/${encodeURIComponent(model)}/promote`, body);
  }

  rollback(model: string, body: RollbackRequestBody): Promise<OperationAccepted> {
    return this.request<OperationAccepted>('POST', `ops/models/${encodeURIComponent(model)}/rollback`, body);
  }

  cancel(runId: string, reason: string | undefined): Promise<OperationAccepted> {
    return this.request<OperationAccepted>(
      'POST',
      `ops/runs/${encodeURIComponent(runId)}/cancel`,
      reason ? { reason } : {},
    );
  }

  deploymentLogs(
    model: string,
    query: { deployment?: string; container?: string; tail?: number },
  ): Promise<DeploymentLogs> {
    return this.request<DeploymentLogs>('GET', withQuery(`ops/models/${encodeURIComponent(model)}/logs`, query));
  }

  score(model: string, body: ScoreRequestBody): Promise<ScoreResult> {
    return this.request<ScoreResult>('POST', `ops/models/${encodeURIComponent(model)}/score`, body);
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
    const detail = problem?.error?.message ?? (text.trim().slice(0, 200) || `HTTP ${status}`);
    const problems = problem?.error?.problems?.length ? `\n  - ${problem.error.problems.join('\n  - ')}` : '';
    if (status === 401 || status === 403) {
      return new CliError(
        `Unauthorized (${status}): the function key was ${this.options.key ? 'rejected' : 'not given'}; pass --key or set MLOPS_KEY.`,
        ExitCodes.unauthorized,
      );
    }
    if (status === 404) return new CliError(`Not found: ${detail}`, ExitCodes.notFound);
    if (status === 400 || status === 409 || status === 413) {
      return new CliError(`Rejected (${status}): ${detail}${problems}`, ExitCodes.rejected);
    }
    return new CliError(`Server error (${status}): ${detail}`, ExitCodes.failure);
  }
}

function withQuery(path: string, filter: object): string {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(filter)) if (v !== undefined && v !== '') query.set(k, String(v));
  const qs = query.toString();
  return `${path}${qs ? `?${qs}` : ''}`;
}
