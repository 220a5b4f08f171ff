import { useTaskFailedErrorFrom } from './classic/failures';

/** A classic orchestrator as the app registered it (the raw `function*`, not durable-functions' wrapper). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- same shape as DurableRuntime.registerOrchestration
export type RawOrchestrator = (...args: any[]) => Generator;
export type RawActivityHandler = (input: unknown, context: import('@azure/functions').InvocationContext) => unknown;
export type RawEntityHandler = (...args: unknown[]) => unknown;

export interface CapturedDurable {
  readonly orchestrations: ReadonlyMap<string, RawOrchestrator>;
  readonly activities: ReadonlyMap<string, RawActivityHandler>;
  /** Recorded so the host can report them; the local engine cannot run entities. */
  readonly entities: ReadonlyMap<string, RawEntityHandler>;
  /** Puts the original `df.app.*` functions back. */
  restore(): void;
}

type Registrar = (name: string, options: unknown) => unknown;

function handlerOf(options: unknown): unknown {
  return typeof options === 'function' ? options : (options as { handler?: unknown } | null)?.handler;
}

/**
 * durable-functions only hands the host a wrapper around each orchestrator (its own v3 replay engine), so the raw
 * generator has to be caught on the way in: `df.app.orchestration/activity/entity` are plain writable properties,
 * replaced here — before the app is loaded — by functions that record `(name, handler)` and then call the original
 * (whose return value, the task builder, the app may keep).
 */
export function captureDurableRegistrations(df: unknown): CapturedDurable {
  const app = (df as { app?: Record<string, unknown> } | null)?.app;
  if (!app || typeof app.orchestration !== 'function' || typeof app.activity !== 'function') {
    throw new TypeError(
      'captureDurableRegistrations expects the durable-functions module (with df.app.orchestration/activity).',
    );
  }
  useTaskFailedErrorFrom(df);
  const orchestrations = new Map<string, RawOrchestrator>();
  const activities = new Map<string, RawActivityHandler>();
  const entities = new Map<string, RawEntityHandler>();
  const originals = { orchestration: app.orchestration, activity: app.activity, entity: app.entity };

  const wrap = (original: unknown, record: (name: string, handler: unknown) => void): Registrar => {
    const call = original as Registrar;
    return function (this: unknown, name: string, options: unknown) {
      const handler = handlerOf(options);
      if (typeof handler === 'function') record(name, handler);
      return call.call(this, name, options);
    };
  };

  app.orchestration = wrap(originals.orchestration, (n, h) => orchestrations.set(n, h as RawOrchestrator));
  app.activity = wrap(originals.activity, (n, h) => activities.set(n, h as RawActivityHandler));
  if (typeof originals.entity === 'function') {
    app.entity = wrap(originals.entity, (n, h) => entities.set(n, h as RawEntityHandler));
  }

  return {
    orchestrations,
    activities,
    entities,
    restore() {
      app.orchestration = originals.orchestration;
      app.activity = originals.activity;
      if (originals.entity !== undefined) app.entity = originals.entity;
    },
  };
}
