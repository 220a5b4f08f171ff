/**
 * The online scoring data plane: `POST /onlineEndpoints/{endpoint}/score` on the emulator's host (the endpoint's
 * `scoringUri`).
 *
 * @remarks Behaves like a managed online endpoint (reference §7.3): key/AML-token auth (401), routing by the
 * `azureml-model-deployment` header (also to 0 % deployments) or by traffic weight (seeded, so deterministic),
 * 404 with no positive-weight deployment, 408 past `requestSettings.requestTimeout`, 424 with
 * `ms-azureml-model-error-*` headers when the model rejects the input, 429 past
 * 2 × maxConcurrentRequestsPerInstance × instances in flight, plus injected faults (status + share, latency,
 * 429/503 with Retry-After). Mirror traffic is scored and recorded but never answers the caller.
 */
import { text } from '../arm';
import type { EmulatorContext } from '../context';
import { inWorkspace } from '../workspaces';
import { notFound, unauthorized } from '../errors';
import { type EmulatorRequest, type EmulatorResponse, header, param, type Router } from '../http';
import { parseScoringRequest, predict } from '../ml';
import type { Engine } from '../runtime/engine';
import { appendLog, deploymentKey } from '../runtime/logs';
import type { DeploymentRecord, EndpointRecord, JsonObject, ScoringFault } from '../state';

export interface ScoringCall {
  readonly at: string;
  readonly endpoint: string;
  readonly deployment: string | null;
  readonly routedBy: 'header' | 'traffic' | 'mirror' | 'none';
  readonly status: number;
  readonly rows?: number;
  readonly durationMs: number;
  readonly error?: string;
}

const MAX_CALLS = 5000;

/** mulberry32: a tiny seeded PRNG so traffic splits and fault shares replay identically under one seed. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** ISO-8601 duration (PT5S, PT0.5S, PT1M) → ms. */
export function durationMs(value: unknown, fallbackMs: number): number {
  if (typeof value !== 'string') return fallbackMs;
  const match = /^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i.exec(
    value,
  );
  if (!match) return fallbackMs;
  const [, d, h, m, s] = match;
  return Math.round(((Number(d ?? 0) * 24 + Number(h ?? 0)) * 60 + Number(m ?? 0)) * 60_000 + Number(s ?? 0) * 1000);
}

function wait(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class ScoringService {
  private random: () => number;
  private calls: ScoringCall[] = [];
  private readonly inFlight = new Map<string, number>();

  constructor(
    private readonly context: EmulatorContext,
    private readonly engine: Engine,
  ) {
    this.random = seededRandom(context.settings.routingSeed);
  }

  reset(): void {
    this.random = seededRandom(this.context.settings.routingSeed);
    this.calls = [];
  }

  recordedCalls(filter: { endpoint?: string; deployment?: string } = {}): ScoringCall[] {
    return this.calls.filter(
      (call) =>
        (filter.endpoint === undefined || call.endpoint === filter.endpoint) &&
        (filter.deployment === undefined || call.deployment === filter.deployment),
    );
  }

  clearCalls(): void {
    this.calls = [];
  }

  register(router: Router): void {
    // The scoring host names the endpoint only (endpoint names are unique per region): serve it in its workspace.
    router.add(
      'POST',
      '/onlineEndpoints/{endpoint}/score',
      (request) => {
        const name = param(request, 'endpoint');
        const owner = this.context.store
          .workspaces()
          .find((ref) => this.context.store.view(ref).onlineEndpoints[name] !== undefined);
        return owner ? inWorkspace(owner, () => this.score(request)) : this.score(request);
      },
      'custom',
    );
  }

  private record(call: ScoringCall): void {
    this.calls.push(call);
    if (this.calls.length > MAX_CALLS) this.calls.splice(0, this.calls.length - MAX_CALLS);
  }

  private authenticate(request: EmulatorRequest, endpoint: EndpointRecord): void {
    const authorization = header(request, 'authorization');
    const token = authorization?.replace(/^Bearer\s+/i, '').trim();
    if (!token) throw unauthorized('Authorization header is missing: send "Authorization: Bearer <key or token>".');
    const authMode = (endpoint.body['properties'] as JsonObject)['authMode'];
    if (authMode === 'Key') {
      if (token === endpoint.keys.primaryKey || token === endpoint.keys.secondaryKey) return;
      throw unauthorized('The key is not valid for this endpoint.');
    }
    if (authMode === 'AMLToken') {
      const issued = this.context.store.data.tokens[token];
      if (!issued || issued.endpoint !== endpoint.name)
        throw unauthorized('The AML token is not valid for this endpoint.');
      if (issued.expiresAt <= this.context.clock.now())
        throw unauthorized('The AML token has expired; request a new one.');
      return;
    }
    // AADToken: any bearer token passes, like the emulator's management plane.
  }

  private pick(endpoint: EndpointRecord): DeploymentRecord | undefined {
    const traffic = ((endpoint.body['properties'] as JsonObject)['traffic'] ?? {}) as Record<string, number>;
    const deployments = this.context.store.data.onlineDeployments[endpoint.name] ?? {};
    const weighted = Object.entries(traffic).filter(([name, weight]) => weight > 0 && deployments[name]);
    const total = weighted.reduce((sum, [, weight]) => sum + weight, 0);
    if (total === 0) return undefined;
    let roll = this.random() * total;
    for (const [name, weight] of weighted) {
      roll -= weight;
      if (roll < 0) return deployments[name];
    }
    return deployments[weighted[weighted.length - 1]?.[0] ?? ''];
  }

  private async score(request: EmulatorRequest): Promise<EmulatorResponse> {
    this.engine.tick();
    const started = Date.now();
    const endpointName = param(request, 'endpoint');
    const endpoint = this.context.store.data.onlineEndpoints[endpointName];
    if (!endpoint) throw notFound('Online endpoint', endpointName);
    try {
      this.authenticate(request, endpoint);
    } catch (error) {
      this.record({
        at: this.context.clock.nowIso(),
        endpoint: endpointName,
        deployment: null,
        routedBy: 'none',
        status: 401,
        durationMs: 0,
      });
      throw error;
    }
    const requested = header(request, 'azureml-model-deployment');
    let deployment: DeploymentRecord | undefined;
    let routedBy: ScoringCall['routedBy'];
    if (requested) {
      deployment = this.context.store.data.onlineDeployments[endpointName]?.[requested];
      routedBy = 'header';
      if (!deployment) {
        return this.fail(
          endpointName,
          null,
          'header',
          started,
          404,
          'DeploymentNotFound',
          `Deployment '${requested}' not found on endpoint '${endpointName}'.`,
        );
      }
    } else {
      deployment = this.pick(endpoint);
      routedBy = 'traffic';
      if (!deployment) {
        return this.fail(
          endpointName,
          null,
          'none',
          started,
          404,
          'NoValidDeployments',
          'No valid deployments to route to. Please check that the endpoint has at least one deployment with positive weight values or use a deployment specific header to route.',
        );
      }
      this.mirror(endpoint, request.rawBody);
    }
    return this.scoreOn(endpointName, deployment, routedBy, request.rawBody, started);
  }

  private fail(
    endpoint: string,
    deployment: string | null,
    routedBy: ScoringCall['routedBy'],
    started: number,
    status: number,
    code: string,
    message: string,
    headers: Record<string, string> = {},
  ): EmulatorResponse {
    this.record({
      at: this.context.clock.nowIso(),
      endpoint,
      deployment,
      routedBy,
      status,
      durationMs: Date.now() - started,
      error: message,
    });
    return { status, body: { error: { code, message } }, headers };
  }

  private mirror(endpoint: EndpointRecord, body: Buffer): void {
    const mirror = ((endpoint.body['properties'] as JsonObject)['mirrorTraffic'] ?? {}) as Record<string, number>;
    for (const [name, percent] of Object.entries(mirror)) {
      const deployment = this.context.store.data.onlineDeployments[endpoint.name]?.[name];
      if (!deployment || percent <= 0 || this.random() * 100 >= percent) continue;
      // Shadow request: scored and recorded, its answer dropped, its failure never reaches the caller.
      void this.scoreOn(endpoint.name, deployment, 'mirror', body, Date.now()).catch(() => undefined);
    }
  }

  private async scoreOn(
    endpoint: string,
    deployment: DeploymentRecord,
    routedBy: ScoringCall['routedBy'],
    body: Buffer,
    started: number,
  ): Promise<EmulatorResponse> {
    const key = deploymentKey(endpoint, deployment.name);
    const properties = deployment.body['properties'] as JsonObject;
    const artifact = deployment.runtime.artifact;
    const name = deployment.name;
    const headers = { 'azureml-model-deployment': name };
    if (!artifact) {
      return this.fail(
        endpoint,
        name,
        routedBy,
        started,
        503,
        'DeploymentNotReady',
        `Deployment '${name}' is not ready (provisioningState ${text(properties['provisioningState'])}).`,
        headers,
      );
    }
    const faults = this.context.store.data.faults.scoring[key] ?? {};
    if (faults.throttle && this.random() < faults.throttle.share) {
      const retryAfter = String(faults.throttle.retryAfterSeconds ?? 1);
      return this.fail(
        endpoint,
        name,
        routedBy,
        started,
        faults.throttle.statusCode,
        faults.throttle.statusCode === 429 ? 'TooManyRequests' : 'ServiceUnavailable',
        faults.throttle.message ??
          (faults.throttle.statusCode === 429
            ? 'Too many requests: the endpoint is throttling.'
            : 'Service unavailable, retry later.'),
        { ...headers, 'Retry-After': retryAfter },
      );
    }
    const settings = (properties['requestSettings'] ?? {}) as JsonObject;
    const perInstance =
      typeof settings['maxConcurrentRequestsPerInstance'] === 'number'
        ? settings['maxConcurrentRequestsPerInstance']
        : 1;
    const sku = (deployment.body['sku'] ?? {}) as JsonObject;
    const instances = typeof sku['capacity'] === 'number' ? sku['capacity'] : 1;
    const limit = 2 * perInstance * instances;
    const inFlight = this.inFlight.get(key) ?? 0;
    if (inFlight >= limit) {
      return this.fail(
        endpoint,
        name,
        routedBy,
        started,
        429,
        'TooManyPendingRequests',
        `Too many pending requests: ${inFlight} in flight exceeds 2 x maxConcurrentRequestsPerInstance (${perInstance}) x instances (${instances}).`,
        headers,
      );
    }
    this.inFlight.set(key, inFlight + 1);
    try {
      const timeoutMs = durationMs(settings['requestTimeout'], 5000);
      const latency = faults.latencyMs ?? 0;
      if (latency >= timeoutMs) {
        await wait(timeoutMs);
        appendLog(
          this.context,
          key,
          'InferenceServer',
          'WARNING',
          `Request timed out after ${timeoutMs} ms (requestSettings.requestTimeout).`,
        );
        return this.fail(
          endpoint,
          name,
          routedBy,
          started,
          408,
          'RequestTimeout',
          `The request timed out after ${timeoutMs} ms (requestSettings.requestTimeout).`,
          headers,
        );
      }
      if (latency > 0) await wait(latency);
      if (faults.failures && this.random() < faults.failures.share)
        return this.injectedFailure(endpoint, name, routedBy, started, faults.failures, key);
      let rows: number[][];
      let request: unknown;
      try {
        request = body.length === 0 ? undefined : (JSON.parse(body.toString('utf8')) as unknown);
        rows = parseScoringRequest(request, artifact.featureColumns, deployment.runtime.servedAs ?? 'mlflow');
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        appendLog(this.context, key, 'InferenceServer', 'ERROR', `Scoring request failed (400): ${message}`);
        return this.fail(
          endpoint,
          name,
          routedBy,
          started,
          424,
          'ModelError',
          `An error occurred in the model: ${message}`,
          {
            ...headers,
            'ms-azureml-model-error-statuscode': '400',
            'ms-azureml-model-error-reason': 'model_error',
          },
        );
      }
      const predictions = predict(artifact, rows);
      this.record({
        at: this.context.clock.nowIso(),
        endpoint,
        deployment: name,
        routedBy,
        status: 200,
        rows: rows.length,
        durationMs: Date.now() - started,
      });
      // The stand-in score.py answers a classic `{"data": …}` request the classic way, `return json.dumps(result)`:
      // a JSON string whose text is the list. MLflow and `input_data` answers are the list itself.
      const classic =
        deployment.runtime.servedAs === 'script' &&
        typeof request === 'object' &&
        request !== null &&
        'data' in request;
      return { status: 200, body: classic ? JSON.stringify(predictions) : predictions, headers };
    } finally {
      this.inFlight.set(key, (this.inFlight.get(key) ?? 1) - 1);
    }
  }

  private injectedFailure(
    endpoint: string,
    name: string,
    routedBy: ScoringCall['routedBy'],
    started: number,
    fault: ScoringFault,
    key: string,
  ): EmulatorResponse {
    const message = fault.message ?? `Injected failure (status ${fault.statusCode}).`;
    appendLog(this.context, key, 'InferenceServer', 'ERROR', `Scoring request failed: ${message}`);
    const headers: Record<string, string> = { 'azureml-model-deployment': name };
    if (fault.statusCode === 424) {
      headers['ms-azureml-model-error-statuscode'] = '500';
      headers['ms-azureml-model-error-reason'] = 'model_error';
    }
    if (fault.retryAfterSeconds !== undefined) headers['Retry-After'] = String(fault.retryAfterSeconds);
    return this.fail(
      endpoint,
      name,
      routedBy,
      started,
      fault.statusCode,
      fault.statusCode === 424 ? 'ModelError' : 'InjectedFailure',
      message,
      headers,
    );
  }
}
