/**
 * Inference-server log lines the emulator records per deployment, returned by `getLogs`.
 */
import type { EmulatorContext } from '../context';

export type LogContainer = 'InferenceServer' | 'StorageInitializer';
const MAX_LINES = 2000;

export function deploymentKey(endpoint: string, deployment: string): string {
  return `${endpoint}/${deployment}`;
}

export function appendLog(
  context: EmulatorContext,
  key: string,
  container: LogContainer,
  level: 'INFO' | 'WARNING' | 'ERROR',
  message: string,
): void {
  const lines = (context.store.data.deploymentLogs[key] ??= []);
  lines.push(`${container}|${context.clock.nowIso()} | ${level} | ${message}`);
  if (lines.length > MAX_LINES) lines.splice(0, lines.length - MAX_LINES);
  context.store.changed();
}

export function readLogs(
  context: EmulatorContext,
  key: string,
  container: LogContainer,
  tail: number | undefined,
): string {
  const prefix = `${container}|`;
  const lines = (context.store.data.deploymentLogs[key] ?? [])
    .filter((line) => line.startsWith(prefix))
    .map((line) => line.slice(prefix.length));
  const selected = tail === undefined ? lines : lines.slice(Math.max(0, lines.length - tail));
  return selected.length === 0 ? '' : `${selected.join('\n')}\n`;
}
