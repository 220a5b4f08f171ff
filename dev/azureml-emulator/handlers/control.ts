/**
 * The control API under `/_emulator/` (outside the Azure surface, no auth, loopback only): clock, step durations,
 * fault injection, forced job outcomes, recorded scoring calls and events, v1 pipeline endpoints, reset.
 */
import { randomUUID } from 'node:crypto';
import { isObject, text } from '../arm';
import type { EmulatorClock } from '../clock';
import type { EmulatorContext } from '../context';
import { badRequest, notFound } from '../errors';
import { type EmulatorRequest, jsonBody, param, query, type Router } from '../http';
import type { Engine } from '../runtime/engine';
import { LATENCY_PROFILES } from '../runtime/latency';
import { deploymentKey } from '../runtime/logs';
import type { ArmFault, JobFault, PipelineEndpointRecord, ScoringFault, StepDurations } from '../state';
import { runHistoryBody } from './v1-pipelines';
import type { ScoringService } from './scoring';

export interface ControlDependencies {
  readonly context: EmulatorContext;
  readonly clock: EmulatorClock;
  readonly engine: Engine;
  readonly scoring: ScoringService;
  readonly reset: () => Promise<void>;
  /** The configured step durations (what the `fast` profile restores). */
  readonly baseSteps: () => StepDurations;
}

function numberField(
  body: Record<string, unknown>,
  name: string,
  options: { min?: number; max?: number } = {},
): number | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw badRequest(`'${name}' must be a number.`, name);
  if (options.min !== undefined && value < options.min) throw badRequest(`'${name}' must be >= ${options.min}.`, name);
  if (options.max !== undefined && value > options.max) throw badRequest(`'${name}' must be <= ${options.max}.`, name);
  return value;
}

function scoringFault(value: unknown, target: string, allowed?: readonly number[]): ScoringFault | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw badRequest(`'${target}' must be an object.`, target);
  const statusCode = numberField(value, 'statusCode', { min: 400, max: 599 });
  if (statusCode === undefined) throw badRequest(`'${target}.statusCode' is required.`, `${target}.statusCode`);
  if (allowed && !allowed.includes(statusCode))
    throw badRequest(`'${target}.statusCode' must be one of ${allowed.join(', ')}.`, `${target}.statusCode`);
  const share = numberField(value, 'share', { min: 0, max: 1 }) ?? 1;
  const retryAfterSeconds = numberField(value, 'retryAfterSeconds', { min: 0 });
  return {
    statusCode,
    share,
    ...(typeof value['message'] === 'string' ? { message: value['message'] } : {}),
    ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
  };
}

export function registerControlRoutes(router: Router, deps: ControlDependencies): void {
  const { context, clock, engine, scoring } = deps;
  const state = () => context.store.data;
  const add = (method: string, path: string, handler: Parameters<Router['add']>[2]) =>
    router.add(method, `/_emulator${path}`, handler, 'none');

  add('GET', '/health', () => ({ status: 200, body: { status: 'ok', now: clock.nowIso() } }));

  add('POST', '/reset', async () => {
    await deps.reset();
    return { status: 200, body: { reset: true } };
  });

  // ---- time ---------------------------------------------------------------------------------------------------
  add('GET', '/clock', () => ({ status: 200, body: clock.state() }));
  add('POST', '/clock', (request) => {
    const body = jsonBody(request);
    const speed = numberField(body, 'speed', { min: 0 });
    if (speed !== undefined) clock.setSpeed(speed);
    if (body['paused'] === true) clock.pause();
    if (body['paused'] === false) clock.resume();
    const advance = numberField(body, 'advanceMs', { min: 0 });
    if (advance !== undefined) clock.advance(advance);
    engine.tick();
    return { status: 200, body: clock.state() };
  });
  add('POST', '/clock/advance', (request) => {
    const ms = numberField(jsonBody(request), 'ms', { min: 0 });
    if (ms === undefined) throw badRequest("'ms' is required.", 'ms');
    clock.advance(ms);
    engine.tick();
    return { status: 200, body: clock.state() };
  });
  add('GET', '/steps', () => ({ status: 200, body: state().steps }));
  add('PUT', '/steps', (request) => {
    const body = jsonBody(request);
    const steps: StepDurations = { ...state().steps };
    for (const key of Object.keys(body)) {
      if (!(key in steps)) throw badRequest(`Unknown step '${key}'; known: ${Object.keys(steps).join(', ')}.`, key);
      steps[key as keyof StepDurations] = numberField(body, key, { min: 0 }) ?? steps[key as keyof StepDurations];
    }
    state().steps = steps;
    context.store.changed();
    engine.tick();
    return { status: 200, body: steps };
  });

  add('GET', '/latencyProfile', () => ({
    status: 200,
    body: { profile: state().latency?.profile ?? 'fast', steps: state().steps, ...(state().latency ?? {}) },
  }));
  add('PUT', '/latencyProfile', (request) => {
    const name = jsonBody(request)['profile'];
    if (name !== 'fast' && name !== 'azure') throw badRequest("'profile' must be 'fast' or 'azure'.", 'profile');
    engine.applyLatencyProfile(LATENCY_PROFILES[name], deps.baseSteps());
    return { status: 200, body: { profile: name, steps: state().steps, ...(state().latency ?? {}) } };
  });

  // ---- jobs ---------------------------------------------------------------------------------------------------
  add('POST', '/faults/jobs', (request) => {
    const body = jsonBody(request);
    const count = numberField(body, 'count', { min: 1 }) ?? 1;
    const mode = body['mode'] ?? 'fail';
    if (mode !== 'fail' && mode !== 'hang') throw badRequest("'mode' must be 'fail' or 'hang'.", 'mode');
    const fault: JobFault =
      mode === 'hang'
        ? { kind: 'hang' }
        : {
            kind: 'fail',
            message:
              typeof body['message'] === 'string' ? body['message'] : 'Injected failure from the emulator control API.',
          };
    for (let i = 0; i < count; i += 1) state().faults.nextJobs.push({ ...fault });
    context.store.changed();
    return { status: 200, body: { pending: state().faults.nextJobs } };
  });
  add('POST', '/faults/arm', (request) => {
    const body = jsonBody(request);
    const statusCode = numberField(body, 'statusCode') ?? 429;
    if (![429, 500, 502, 503, 504].includes(statusCode))
      throw badRequest("'statusCode' must be 429, 500, 502, 503 or 504.", 'statusCode');
    const fault: ArmFault = {
      statusCode,
      count: numberField(body, 'count', { min: 1 }) ?? 1,
      retryAfterSeconds: numberField(body, 'retryAfterSeconds', { min: 0 }) ?? 1,
      ...(typeof body['method'] === 'string' ? { method: body['method'] } : {}),
      ...(typeof body['pathContains'] === 'string' ? { pathContains: body['pathContains'] } : {}),
    };
    (state().faults.arm ??= []).push(fault);
    context.store.changed();
    return { status: 200, body: { pending: state().faults.arm } };
  });
  add('DELETE', '/faults/arm', () => {
    state().faults.arm = [];
    context.store.changed();
    return { status: 200, body: { pending: [] } };
  });
  add('DELETE', '/faults/jobs', () => {
    state().faults.nextJobs = [];
    context.store.changed();
    return { status: 200, body: { pending: [] } };
  });
  const findJob = (request: EmulatorRequest) => {
    const name = param(request, 'name');
    const job = state().jobs[name];
    if (!job) throw notFound('Job', name);
    return job;
  };
  add('GET', '/jobs/{name}', (request) => {
    engine.tick();
    const job = findJob(request);
    return { status: 200, body: { ...runHistoryBody(context, job, true), training: job.run.training ?? null } };
  });
  add('POST', '/jobs/{name}/complete', (request) => {
    engine.forceJob(findJob(request), { status: 'Completed' });
    return { status: 200, body: { status: findJob(request).run.status } };
  });
  add('POST', '/jobs/{name}/fail', (request) => {
    const body = jsonBody(request);
    engine.forceJob(findJob(request), {
      status: 'Failed',
      ...(typeof body['message'] === 'string' ? { message: body['message'] } : {}),
    });
    return { status: 200, body: { status: findJob(request).run.status } };
  });

  // ---- deployments ----------------------------------------------------------------------------------------------
  const deploymentRoute = '/onlineEndpoints/{endpoint}/deployments/{deployment}';
  add('POST', `${deploymentRoute}/failProvisioning`, (request) => {
    const body = jsonBody(request);
    const key = deploymentKey(param(request, 'endpoint'), param(request, 'deployment'));
    state().faults.provisioning[key] =
      typeof body['message'] === 'string'
        ? body['message']
        : 'Injected provisioning failure: the container crashed during startup.';
    context.store.changed();
    return { status: 200, body: { failNextProvisioning: state().faults.provisioning[key] } };
  });
  add('PUT', `${deploymentRoute}/scoringFaults`, (request) => {
    const body = jsonBody(request);
    for (const key of Object.keys(body)) {
      if (!['failures', 'latencyMs', 'throttle'].includes(key))
        throw badRequest(`Unknown scoring fault '${key}'; use failures, latencyMs, throttle.`, key);
    }
    const failures = scoringFault(body['failures'], 'failures');
    const throttle = scoringFault(body['throttle'], 'throttle', [429, 503]);
    const latencyMs = numberField(body, 'latencyMs', { min: 0 });
    const key = deploymentKey(param(request, 'endpoint'), param(request, 'deployment'));
    state().faults.scoring[key] = {
      ...(failures ? { failures } : {}),
      ...(throttle ? { throttle } : {}),
      ...(latencyMs !== undefined ? { latencyMs } : {}),
    };
    context.store.changed();
    return { status: 200, body: state().faults.scoring[key] };
  });
  add('DELETE', `${deploymentRoute}/scoringFaults`, (request) => {
    delete state().faults.scoring[deploymentKey(param(request, 'endpoint'), param(request, 'deployment'))];
    context.store.changed();
    return { status: 200, body: {} };
  });
  add('GET', `${deploymentRoute}/scoringCalls`, (request) => ({
    status: 200,
    body: {
      value: scoring.recordedCalls({ endpoint: param(request, 'endpoint'), deployment: param(request, 'deployment') }),
    },
  }));
  add('GET', '/scoringCalls', (request) => {
    const endpoint = query(request, 'endpoint');
    return { status: 200, body: { value: scoring.recordedCalls(endpoint !== undefined ? { endpoint } : {}) } };
  });
  add('DELETE', '/scoringCalls', () => {
    scoring.clearCalls();
    return { status: 200, body: {} };
  });

  // ---- events ---------------------------------------------------------------------------------------------------
  add('GET', '/events', (request) => {
    const type = query(request, 'eventType');
    const events = context.events.events().filter((event) => type === undefined || event.eventType === type);
    return { status: 200, body: { value: events } };
  });
  add('GET', '/events/deliveries', () => ({ status: 200, body: { value: context.events.deliveryRecords() } }));
  add('GET', '/eventSubscribers', () => ({ status: 200, body: { value: context.events.subscribers() } }));
  add('POST', '/eventSubscribers', (request) => {
    const body = jsonBody(request);
    if (typeof body['url'] !== 'string') throw badRequest("'url' is required.", 'url');
    try {
      context.events.addSubscriber({
        url: body['url'],
        ...(typeof body['name'] === 'string' ? { name: body['name'] } : {}),
      });
    } catch {
      throw badRequest(`'${body['url']}' is not a valid URL.`, 'url');
    }
    return { status: 200, body: { value: context.events.subscribers() } };
  });
  add('DELETE', '/eventSubscribers', (request) => {
    const url = query(request, 'url');
    if (!url) throw badRequest("Query parameter 'url' is required.", 'url');
    context.events.removeSubscriber(url);
    return { status: 200, body: { value: context.events.subscribers() } };
  });

  // ---- v1 pipeline endpoints --------------------------------------------------------------------------------------
  add('GET', '/pipelineEndpoints', () => ({ status: 200, body: { value: Object.values(state().pipelineEndpoints) } }));
  add('PUT', '/pipelineEndpoints/{id}', (request) => {
    const body = jsonBody(request);
    const id = param(request, 'id');
    const defaults: Record<string, string> = {};
    if (isObject(body['defaults']))
      for (const [key, value] of Object.entries(body['defaults'])) defaults[key] = text(value);
    const record: PipelineEndpointRecord = {
      id: id === 'new' ? randomUUID() : id,
      name: typeof body['name'] === 'string' ? body['name'] : id,
      description: typeof body['description'] === 'string' ? body['description'] : '',
      defaults,
      dataParameter: typeof body['dataParameter'] === 'string' ? body['dataParameter'] : 'input_data',
      dataParameterKind: body['dataParameterKind'] === 'string' ? 'string' : 'dataPath',
      createdAt: clock.nowIso(),
    };
    state().pipelineEndpoints[record.id] = record;
    context.store.changed();
    return { status: 200, body: record };
  });
}
