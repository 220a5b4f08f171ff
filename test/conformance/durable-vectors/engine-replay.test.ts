// Use (b) of the golden vectors: for every case, the engine's extension emulator (`replayEpisode`), fed episode by
// episode with the real handler's state for the vector's history, appends exactly the scheduling events the vector
// holds for that episode (type, sequence id, name, input where the vector encodes it, fire time; a sub-orchestration
// id where the orchestrator chose it), and reaches the vector's final state. The drive is in engine-drive.ts; the
// cases that cannot pass are listed below with the reason, and asserted to differ exactly where stated, so the list
// stays true. See docs/durable-vectors.md, "Use (b)".
import { UnsupportedAction } from '../../../dev/host/durable/extension-replay';
import { registerRealOrchestrations, type RealOrchestrationApp } from '../../support/durable/real-handler';
import { caseById, loadCases, type VectorCase } from './cases';
import { driveCase, schedulingMismatches, type DriveReport, type Variant } from './engine-drive';
import { EventType } from './episodes';
import { vectorOrchestrators } from './orchestrators';

const cases = loadCases();
const casesAtV3 = cases.filter((c) => c.atSchemaV3 !== undefined);

/** Features the engine refuses with a clear error (docs/durable-engine.md); the emulator fails the episode. */
const UNSUPPORTED: Readonly<Record<string, string>> = {
  ...Object.fromEntries(
    cases.filter((c) => c.categories.includes('http')).map((c) => [c.id, new UnsupportedAction('callHttp is').message]),
  ),
  ...Object.fromEntries(
    cases
      .filter((c) => c.categories.includes('entity'))
      .map((c) => [c.id, new UnsupportedAction('Durable entities are').message]),
  ),
};

interface FixtureQuirk {
  /** Why the recorded history is not what the extension appends (with the source that says so). */
  reason: string;
  /** The episodes (numbers as in episodes.ts) whose appended events differ from the recorded ones. */
  episodes: number[];
}

/** Histories the extension would not have written: the emulator follows the source, these episodes differ. */
const FIXTURE_QUIRKS: Readonly<Record<string, FixtureQuirk>> = {
  'timestamp-exhaustion': {
    reason:
      'the TimerCreated FireAt (09:00:02) is not the fire time the orchestrator asked for (09:00:03), and the timer ' +
      'fires six times; the extension schedules the action fire time',
    episodes: [3],
  },
  'activity-retry-fanout-final': {
    reason:
      'the builder dates the retry timer from the TaskFailed event (09:00:00.100 + 100 ms); DTFx RetryInterceptor ' +
      'adds the delay to CurrentUtcDateTime, the OrchestratorStarted time (09:00:00.110)',
    episodes: [2],
  },
  'suborch-retry-fanout-final': {
    reason:
      'the builder dates the retry timer from the SubOrchestrationInstanceFailed event; DTFx RetryInterceptor adds ' +
      'the delay to CurrentUtcDateTime, the OrchestratorStarted time',
    episodes: [2],
  },
  'long-timer-schedule-spec-settings': {
    reason:
      'the spec passes maximumShortTimerDuration 3 days and longRunningTimerIntervalDuration 6 days (swapped); the ' +
      'builder still splits with 3-day steps, the extension with the 6-day interval it sent',
    episodes: [1],
  },
  'long-timer-halfway-spec-settings': {
    reason: 'swapped timer settings (see long-timer-schedule-spec-settings)',
    episodes: [1, 2],
  },
  'long-timer-fired-spec-settings': {
    reason: 'swapped timer settings (see long-timer-schedule-spec-settings)',
    episodes: [1, 2],
  },
  'long-timer-azure-fired': {
    reason:
      'the builder creates the last sub-timer at the final fire time once at most maximumShortTimerDuration remains ' +
      "(the JS LongTimerTask's rule); the extension's CreateTimer loop steps by longRunningTimerIntervalDuration " +
      'until less than one interval remains (T0+9 d, then T0+10 d)',
    episodes: [4],
  },
};

/**
 * Cases where the orchestrator function finished but DTFx keeps the instance running because a task it scheduled is
 * still open (TaskOrchestrationExecutor completes only `!HasOpenTasks`): a Task.any loser that was not canceled, or a
 * task the JS side lost track of (#574). The vector's state is applied once those tasks complete.
 */
const HELD_BY_OPEN_TASKS: readonly string[] = [
  'any-a-or-b-a-wins',
  'any-a-or-b-b-wins',
  'any-then-reyield-winner',
  'timer-activity-race-timer-wins',
  'any-over-completed-task-episode-3',
  'sliding-window-reyield-episode-3',
];

let app: RealOrchestrationApp;

beforeAll(async () => {
  app = await registerRealOrchestrations(vectorOrchestrators);
});
afterAll(() => app.release());

function expectFinal(report: DriveReport): void {
  if (HELD_BY_OPEN_TASKS.includes(report.caseId)) {
    expect(report.actualFinal.kind).toBe('running');
    expect(report.afterOpenTasks).toEqual({
      completed: expect.any(Number) as number,
      final: report.expectedFinal,
      scheduled: 0,
    });
  } else {
    expect(report.actualFinal).toEqual(report.expectedFinal);
    expect(report.afterOpenTasks).toBeUndefined();
  }
}

async function expectEngineReplay(c: VectorCase, variant: Variant): Promise<void> {
  const report = await driveCase(app, c, variant);
  const unsupported = UNSUPPORTED[c.id];
  if (unsupported !== undefined) {
    expect(report.actualFinal).toEqual({ kind: 'failed', error: unsupported });
    return;
  }
  const mismatched = schedulingMismatches(report);
  const quirk = FIXTURE_QUIRKS[c.id];
  if (quirk) {
    expect(mismatched.map((e) => e.number)).toEqual(quirk.episodes);
  } else {
    expect(mismatched.map((e) => ({ episode: e.number, actual: e.actual, expected: e.expected }))).toEqual([]);
  }
  // Every episode the history continues after leaves the instance running.
  const continued = report.episodes.slice(0, -1).filter((e) => e.outcome.kind !== 'running');
  expect(continued.map((e) => e.number)).toEqual([]);
  expectFinal(report);
}

describe('durable-functions golden vectors: the engine’s extension emulator, driven episode by episode', () => {
  it('the lists of cases that cannot pass name existing cases, each once', () => {
    const listed = [...Object.keys(UNSUPPORTED), ...Object.keys(FIXTURE_QUIRKS), ...HELD_BY_OPEN_TASKS];
    expect(listed.filter((id) => !cases.some((c) => c.id === id))).toEqual([]);
    expect(new Set(listed).size).toBe(listed.length);
    expect(Object.keys(UNSUPPORTED)).toHaveLength(16);
  });

  describe('recorded schema', () => {
    test.each(cases.map((c) => [c.id, c] as const))('%s', async (_id, c) => {
      await expectEngineReplay(c, 'recorded');
    });
  });

  describe('rerun at schema V3 (upperSchemaVersionNew: 2, as a current extension sends)', () => {
    test.each(casesAtV3.map((c) => [c.id, c] as const))('%s', async (_id, c) => {
      await expectEngineReplay(c, 'v3');
    });
  });

  describe('issue #574: a task already yielded is scheduled again by a new compound, and the ids drift', () => {
    /** The events the emulator appended in episode 2 as `[EventId, Name or timer, Input]`. */
    async function episode2(id: string): Promise<{ report: DriveReport; appended: unknown[][] }> {
      const report = await driveCase(app, caseById(id), 'recorded');
      const e2 = report.episodes.find((e) => e.number === 2);
      const appended = (e2?.actual ?? []).map((e) => [
        e.EventId,
        e.EventType === EventType.TimerCreated ? 'timer' : e.Name,
        e.Input,
      ]);
      return { report, appended };
    }

    it('sliding window: the pending Work(1) is scheduled again (#2) beside Work(2) (#3); #2’s result lands on Work(2)', async () => {
      const { report, appended } = await episode2('sliding-window-reyield-episode-3');
      expect(appended).toEqual([
        [2, 'Work', '1'],
        [3, 'Work', '2'],
      ]);
      expect(report.afterOpenTasks?.final).toEqual({ kind: 'completed', output: ['w0', 'w1-second-copy'] });
    });

    it('Task.any over a finished task: TaskA is scheduled again (#1) before the timer (#2); the timer "wins" with #1', async () => {
      const { report, appended } = await episode2('any-over-completed-task-episode-3');
      expect(appended).toEqual([
        [1, 'TaskA', undefined],
        [2, 'timer', undefined],
      ]);
      expect(report.afterOpenTasks?.final).toEqual({ kind: 'completed', output: 'timer' });
    });

    it('Task.all over a finished task: TaskA is scheduled again (#1) and TaskB gets #2; TaskB reports the duplicate', async () => {
      const { report, appended } = await episode2('all-over-completed-task-episode-3');
      expect(appended).toEqual([
        [1, 'TaskA', undefined],
        [2, 'TaskB', undefined],
      ]);
      expect(report.actualFinal).toEqual({ kind: 'completed', output: ['a', 'a-again'] });
    });
  });
});
