/**
 * Persists each timer's last/next occurrence, like the Functions host's ScheduleMonitor (which keeps it in the
 * host storage account), so a restart can tell that an occurrence was missed and run it as past due.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface ScheduleStatus {
  last: string;
  next: string;
  lastUpdated: string;
}

export interface ScheduleMonitor {
  get(functionName: string): Promise<ScheduleStatus | undefined>;
  set(functionName: string, status: ScheduleStatus): Promise<void>;
}

export class InMemoryScheduleMonitor implements ScheduleMonitor {
  private readonly statuses = new Map<string, ScheduleStatus>();

  get(functionName: string): Promise<ScheduleStatus | undefined> {
    return Promise.resolve(this.statuses.get(functionName));
  }

  set(functionName: string, status: ScheduleStatus): Promise<void> {
    this.statuses.set(functionName, { ...status });
    return Promise.resolve();
  }
}

/** One JSON file per function under `<dir>/<hostId>/<function>.json`. */
export class FileScheduleMonitor implements ScheduleMonitor {
  constructor(
    private readonly dir: string,
    private readonly hostId: string,
  ) {}

  private file(functionName: string): string {
    return path.join(this.dir, this.hostId, `${functionName.replace(/[^\w.-]/g, '_')}.json`);
  }

  async get(functionName: string): Promise<ScheduleStatus | undefined> {
    try {
      return JSON.parse(await fs.promises.readFile(this.file(functionName), 'utf8')) as ScheduleStatus;
    } catch {
      return undefined;
    }
  }

  async set(functionName: string, status: ScheduleStatus): Promise<void> {
    const file = this.file(functionName);
    await fs.promises.mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    await fs.promises.writeFile(tmp, JSON.stringify(status, null, 2));
    await fs.promises.rename(tmp, file);
  }
}
