// Fan-out/fan-in on the local durable engine: prints one JSON line per size with wall time, replays (episodes) and
// activities/s, next to a tight loop doing the same calls without orchestration, so overhead and growth from 1k to
// 10k can be compared. Run: npm run build && node dist/bench/durable-fanout.js
import type { OrchestrationContext } from 'durable-functions';

import { DurableRuntime } from '../dev/host/durable';
import { serveDurableFunctions } from '../dev/host/durable-bridge';
import { registerDurableApp } from '../dev/host/durable-registration';

const call = (runtime: DurableRuntime, method: string, path: string, body = '') =>
  runtime.handleHttp({ method, path, query: new URLSearchParams(), headers: {}, body }, 'http://127.0.0.1');

const square = (x: unknown): number => (x as number) * (x as number);

/** The limit: the same activity calls with the same JSON round trips and no orchestration at all. */
async function tightLoop(n: number): Promise<number> {
  const started = performance.now();
  const results: number[] = [];
  for (let i = 0; i < n; i++) {
    results.push(JSON.parse(JSON.stringify(await Promise.resolve(square(JSON.parse(JSON.stringify(i)))))) as number);
  }
  if (results.length !== n) throw new Error('tight loop lost results');
  return (performance.now() - started) / 1000;
}

async function runOnce(n: number, concurrency: number): Promise<Record<string, number>> {
  const runtime = new DurableRuntime({
    taskHubName: 'BenchHub',
    maxConcurrentActivityFunctions: concurrency,
    log: () => undefined,
  });
  const app = await registerDurableApp((df) => {
    df.app.activity('square', { handler: square });
    df.app.orchestration('fanOut', function* (context: OrchestrationContext) {
      const count = context.df.getInput<number>();
      const tasks = [];
      for (let i = 0; i < count; i++) tasks.push(context.df.callActivity('square', i));
      const results = (yield context.df.Task.all(tasks)) as number[];
      return results.length;
    });
  });
  serveDurableFunctions(runtime, app.registry, app.invoker, {
    info: () => undefined,
    warn: () => undefined,
    error: () => undefined,
  });
  await runtime.start();
  const started = performance.now();
  const res = await call(runtime, 'POST', `/orchestrators/fanOut/bench-${n}`, String(n));
  if (res.status !== 202) throw new Error(`start failed: ${res.status} ${res.body}`);
  for (;;) {
    const status = await call(runtime, 'GET', `/instances/bench-${n}`);
    const body = JSON.parse(status.body) as { runtimeStatus: string };
    if (body.runtimeStatus === 'Completed') break;
    if (body.runtimeStatus !== 'Running' && body.runtimeStatus !== 'Pending') throw new Error(status.body);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const seconds = (performance.now() - started) / 1000;
  const { episodes } = runtime.stats();
  await runtime.stop();
  return {
    activities: n,
    concurrency,
    seconds: Number(seconds.toFixed(3)),
    episodes,
    activitiesPerSecond: Math.round(n / seconds),
    tightLoopSeconds: Number((await tightLoop(n)).toFixed(3)),
  };
}

async function main(): Promise<void> {
  const sizes: [number, number][] = [
    [1000, 10],
    [10000, 10],
    [10000, 100],
  ];
  for (const [n, c] of sizes) console.log(JSON.stringify({ bench: 'durable-fanout', ...(await runOnce(n, c)) }));
}

void main();
