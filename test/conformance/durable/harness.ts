import { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { DurableRuntime, DurableRuntimeOptions, WEBHOOK_PATH } from '../../../dev/host/durable';
import { type DurableFunctionSet, serveDurableSet } from '../../../dev/host/durable-registration';

export interface Harness {
  runtime: DurableRuntime;
  client: df.DurableClient;
  origin: string;
  logs: string[];
  /** Raw HTTP call against the mounted Durable HTTP API. */
  call(method: string, pathAndQuery: string, body?: string, headers?: Record<string, string>): Promise<Response>;
  stop(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A DurableRuntime mounted on a throw-away node:http server (127.0.0.1, free port), plus the real DurableClient of
 * durable-functions built the way the Functions host builds it: df.getClient(context) over a context whose
 * durableClient input carries the runtime's binding payload.
 */
export async function startHarness(
  register: (functions: DurableFunctionSet) => void,
  options: Partial<DurableRuntimeOptions> = {},
): Promise<Harness> {
  const logs: string[] = [];
  const runtime = new DurableRuntime({
    taskHubName: 'ConformanceHub',
    maxConcurrentActivityFunctions: 8,
    log: (line) => logs.push(line),
    ...options,
  });
  const hostLog = (line: string): void => {
    logs.push(line);
  };
  await serveDurableSet(runtime, register, { info: hostLog, warn: hostLog, error: hostLog });
  await runtime.start();

  let origin = '';
  // Keep-alive as the Functions host (Kestrel, 130 s): a 5 s default races clients reusing sockets after long episodes.
  const server: Server = createServer({ keepAliveTimeout: 130_000 }, (req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', origin);
      if (!url.pathname.startsWith(WEBHOOK_PATH)) {
        res.writeHead(404).end();
        return;
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
      const result = await runtime.handleHttp(
        {
          method: req.method ?? 'GET',
          path: url.pathname.slice(WEBHOOK_PATH.length),
          query: url.searchParams,
          headers,
          body: await readBody(req),
        },
        origin,
      );
      res.writeHead(result.status, result.headers).end(result.body);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;
  // Without it durable-functions rewrites every management URL to http://localhost:7071.
  process.env.WEBSITE_HOSTNAME = `127.0.0.1:${port}`;

  const clientInput = df.input.durableClient();
  const context = new InvocationContext({
    functionName: 'conformanceStarter',
    options: { trigger: { type: 'httpTrigger', name: 'req' }, extraInputs: [clientInput], extraOutputs: [] },
  });
  context.extraInputs.set(clientInput, runtime.clientBindingPayload(origin, 'test-key'));
  const client = df.getClient(context);

  return {
    runtime,
    client,
    origin,
    logs,
    call: (method, pathAndQuery, body, headers = {}) =>
      fetch(`${origin}${WEBHOOK_PATH}${pathAndQuery}`, { method, body, headers }),
    async stop() {
      await runtime.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const TERMINAL = new Set(['Completed', 'Failed', 'Terminated', 'Canceled']);

/** Waits until the instance reaches a terminal state and returns its status. */
export function waitForFinish(
  client: df.DurableClient,
  instanceId: string,
  timeoutMs?: number,
): Promise<df.DurableOrchestrationStatus> {
  return waitFor(
    async () => {
      const s = await client.getStatus(instanceId);
      return TERMINAL.has(s.runtimeStatus) ? s : undefined;
    },
    `instance ${instanceId} to finish`,
    timeoutMs,
  );
}

/** Waits until the instance has the given status. */
export function waitForStatus(
  client: df.DurableClient,
  instanceId: string,
  status: string,
  timeoutMs?: number,
): Promise<df.DurableOrchestrationStatus> {
  return waitFor(
    async () => {
      const s = await client.getStatus(instanceId).catch(() => undefined);
      return String(s?.runtimeStatus) === status ? s : undefined;
    },
    `instance ${instanceId} to be ${status}`,
    timeoutMs,
  );
}
