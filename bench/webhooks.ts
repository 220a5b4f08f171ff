// Signed-webhook benchmark (`node dist/bench/webhooks.js`, or from the bench harness through `runWebhookBench`).
// Prints one JSON line per figure: {bench, metric, value, target, pass, ...}.
//
// The compiled app runs in the dev host in a child process (as under `npm start`), bound to 127.0.0.1; this process
// sends signed GitHub push deliveries over keep-alive loopback connections. Each request is authenticated
// (HMAC-SHA256 over the raw body), parsed, validated and matched against the catalog; the pushes touch no model
// path, so the answer is 202 {"ignored": …} and the measurement is the webhook edge, not storage or Azure ML.
//
// Targets (2 cores): >= 1,000 requests/s and p99 < 50 ms at that rate. Two measurements per scenario:
//   - throughput: a closed loop of C concurrent senders, as fast as the host answers (the capacity);
//   - p99 latency: an open loop offering exactly --rate requests/s (default 1000, the target), each latency taken from
//     the moment the request was due, not when it was sent, so a host that falls behind is charged for the backlog
//     (no coordinated omission). A closed loop at saturation would measure queueing behind C senders instead.
// The same figures are produced for rejected (mis-signed) requests.
// Bounded: --requests N (default 5000) for the closed loop, --latency-seconds S (default 10) for the open loop, which
// so takes in the host's periodic garbage collections, --rate R (default 1000), --concurrency C (default 32),
// --max-seconds S (default 30) per measurement.
import http from 'node:http';
import os from 'node:os';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

import { signatureHeader } from '../src/security';
import { percentile, round, startHostProcess } from './support';

const SECRET = 'bench-github-secret';

export interface WebhookBenchOptions {
  readonly requests?: number;
  readonly concurrency?: number;
  readonly maxSeconds?: number;
  readonly warmupRequests?: number;
  /** Offered load for the latency measurement, requests/s. */
  readonly rate?: number;
  /** How long the load is offered for the latency measurement. */
  readonly latencySeconds?: number;
  readonly emit?: (figure: Record<string, unknown>) => void;
}

interface Prepared {
  readonly body: Buffer;
  readonly headers: Record<string, string>;
}

/** A pool of signed deliveries (distinct delivery ids), prepared before timing starts. */
function preparePushes(count: number, secret: string): Prepared[] {
  return Array.from({ length: count }, (_, i) => {
    const body = Buffer.from(
      JSON.stringify({
        ref: 'refs/heads/main',
        before: '6113728f27ae82c7b1a177c8d03f9e96e0adf246',
        after: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c',
        created: false,
        deleted: false,
        forced: false,
        compare: 'https://github.com/contoso/bike-demand/compare/6113728f27ae...0d1a26e67d8f',
        commits: [
          {
            id: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c',
            message: `docs change ${i}`,
            timestamp: '2026-11-22T12:00:00Z',
            added: [],
            removed: [],
            modified: [`docs/page-${i}.md`, 'README.md'],
          },
        ],
        repository: { full_name: 'contoso/bike-demand', name: 'bike-demand', default_branch: 'main' },
        pusher: { name: 'bench' },
        sender: { login: 'bench' },
      }),
    );
    return {
      body,
      headers: {
        'content-type': 'application/json',
        'content-length': String(body.length),
        'x-github-event': 'push',
        'x-github-delivery': `bench-${i}`,
        'x-hub-signature-256': signatureHeader(secret, body),
      },
    };
  });
}

interface RunResult {
  readonly completed: number;
  readonly elapsedMs: number;
  readonly latenciesMs: number[];
  readonly statuses: Record<string, number>;
  readonly errors: number;
  /** The first transport error, if any, so a failed figure says why. */
  readonly firstError?: string;
}

function send(agent: http.Agent, url: URL, p: Prepared): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { agent, hostname: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: p.headers },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(p.body);
  });
}

async function drive(
  target: URL,
  pool: readonly Prepared[],
  total: number,
  concurrency: number,
  maxMs: number,
): Promise<RunResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const latenciesMs: number[] = [];
  const statuses: Record<string, number> = {};
  let next = 0;
  let errors = 0;
  let firstError: string | undefined;
  const started = performance.now();
  const deadline = started + maxMs;
  const worker = async (): Promise<void> => {
    while (next < total && performance.now() < deadline) {
      const p = pool[next++ % pool.length]!;
      const t0 = performance.now();
      try {
        const status = await send(agent, target, p);
        statuses[status] = (statuses[status] ?? 0) + 1;
        latenciesMs.push(performance.now() - t0);
      } catch (error) {
        errors++;
        firstError ??= String(error);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsedMs = performance.now() - started;
  agent.destroy();
  return { completed: latenciesMs.length, elapsedMs, latenciesMs, statuses, errors, firstError };
}

/**
 * Open loop: request i is due at start + i/rate and is sent then (or as soon as the event loop gets there); its
 * latency runs from the due time to the end of the response.
 */
async function driveAtRate(
  target: URL,
  pool: readonly Prepared[],
  total: number,
  rate: number,
  maxMs: number,
): Promise<RunResult> {
  // FIFO reuse keeps every pooled socket busy, so none idles into the server's keep-alive timeout and races its close.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256, scheduling: 'fifo' });
  const latenciesMs: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  let firstError: string | undefined;
  const started = performance.now();
  const intervalMs = 1000 / rate;
  const inFlight: Promise<void>[] = [];
  let next = 0;
  while (next < total && performance.now() - started < maxMs) {
    const now = performance.now();
    for (; next < total && started + next * intervalMs <= now; next++) {
      const due = started + next * intervalMs;
      const p = pool[next % pool.length]!;
      inFlight.push(
        send(agent, target, p).then(
          (status) => {
            statuses[status] = (statuses[status] ?? 0) + 1;
            latenciesMs.push(performance.now() - due);
          },
          (error: unknown) => {
            errors++;
            firstError ??= String(error);
          },
        ),
      );
    }
    // Yield until the next request is due (timers have ~1 ms resolution; the backlog is sent on the next pass).
    const wait = started + next * intervalMs - performance.now();
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, Math.floor(wait))));
  }
  await Promise.all(inFlight);
  const elapsedMs = performance.now() - started;
  agent.destroy();
  return { completed: latenciesMs.length, elapsedMs, latenciesMs, statuses, errors, firstError };
}

function summary(r: RunResult): Record<string, unknown> {
  const sorted = [...r.latenciesMs].sort((a, b) => a - b);
  return {
    requests: r.completed,
    elapsedMs: round(r.elapsedMs),
    p50Ms: round(percentile(sorted, 50)),
    p90Ms: round(percentile(sorted, 90)),
    p99Ms: round(percentile(sorted, 99)),
    maxMs: round(sorted[sorted.length - 1] ?? Number.NaN),
    statuses: r.statuses,
    errors: r.errors,
    ...(r.firstError ? { firstError: r.firstError } : {}),
  };
}

export async function runWebhookBench(options: WebhookBenchOptions = {}): Promise<boolean> {
  const emit = options.emit ?? ((f) => console.log(JSON.stringify(f)));
  const requests = options.requests ?? 5000;
  const concurrency = options.concurrency ?? 32;
  const maxMs = (options.maxSeconds ?? 30) * 1000;
  const rate = options.rate ?? 1000;
  const latencyRequests = Math.round(rate * (options.latencySeconds ?? 10));
  const host = await startHostProcess({ appSettings: { GITHUB_WEBHOOK_SECRET: SECRET } });
  let allPass = true;
  try {
    const target = new URL(`${host.url}/api/webhooks/github`);
    const valid = preparePushes(512, SECRET);
    const forged = preparePushes(64, 'not-the-secret');

    // Warm-up: JIT, keep-alive sockets, the app's lazily built context.
    await drive(target, valid, options.warmupRequests ?? 500, concurrency, maxMs);

    for (const [scenario, pool, expected] of [
      ['signed-push-ignored', valid, '202'],
      ['mis-signed-rejected', forged, '401'],
    ] as const) {
      const common = {
        scenario,
        cpus: os.cpus().length,
        // Other work on the machine skews the figures; recorded so a run can be judged.
        loadAverage1m: round(os.loadavg()[0] ?? 0),
      };
      const correct = (r: RunResult): boolean => (r.statuses[expected] ?? 0) === r.completed && r.errors === 0;

      const closed = await drive(target, pool, requests, concurrency, maxMs);
      const throughput = (closed.completed / closed.elapsedMs) * 1000;
      const throughputPass = throughput >= 1000 && correct(closed);
      emit({
        bench: 'webhooks',
        metric: 'throughputPerSecond',
        value: round(throughput, 1),
        target: '>= 1000',
        pass: throughputPass,
        ...common,
        ...summary(closed),
        concurrency,
      });

      // A stall in this (sending) process inflates the latencies too; recorded so such a run can be recognised.
      const clientDelay = monitorEventLoopDelay({ resolution: 5 });
      clientDelay.enable();
      const open = await driveAtRate(target, pool, latencyRequests, rate, maxMs);
      clientDelay.disable();
      const sorted = [...open.latenciesMs].sort((a, b) => a - b);
      const p99 = percentile(sorted, 99);
      // The offered rate must actually have been sustained for the figure to count.
      const achievedRate = (open.completed / open.elapsedMs) * 1000;
      const latencyPass = p99 < 50 && achievedRate >= rate * 0.95 && correct(open);
      emit({
        bench: 'webhooks',
        metric: 'p99LatencyMs',
        value: round(p99),
        target: '< 50',
        pass: latencyPass,
        ...common,
        ...summary(open),
        offeredPerSecond: rate,
        senderLoopDelayMaxMs: round(clientDelay.max / 1e6),
        achievedPerSecond: round(achievedRate, 1),
      });
      allPass &&= throughputPass && latencyPass;
    }
  } finally {
    await host.stop();
  }
  return allPass;
}

if (require.main === module) {
  const { values } = parseArgs({
    options: {
      requests: { type: 'string' },
      concurrency: { type: 'string' },
      'max-seconds': { type: 'string' },
      rate: { type: 'string' },
      'latency-seconds': { type: 'string' },
    },
  });
  runWebhookBench({
    ...(values.requests ? { requests: Number(values.requests) } : {}),
    ...(values.concurrency ? { concurrency: Number(values.concurrency) } : {}),
    ...(values['max-seconds'] ? { maxSeconds: Number(values['max-seconds']) } : {}),
    ...(values.rate ? { rate: Number(values.rate) } : {}),
    ...(values['latency-seconds'] ? { latencySeconds: Number(values['latency-seconds']) } : {}),
  }).then(
    (pass) => {
      process.exitCode = pass ? 0 : 1;
    },
    (err: unknown) => {
      console.error(err);
      process.exitCode = 2;
    },
  );
}
