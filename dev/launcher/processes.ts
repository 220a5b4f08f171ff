/** Child processes and ports for the launcher. */
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';

/** Resolves once something accepts TCP connections on 127.0.0.1:port, or rejects at the deadline. */
export async function waitForPort(port: number, timeoutMs: number, exited?: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reason = exited?.();
    if (reason) throw new Error(reason);
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ port, host: '127.0.0.1' });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`Nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** True when the port is already taken on 127.0.0.1 (a service from an earlier run, or another program). */
export async function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(true));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(false)));
  });
}

/**
 * Sends SIGTERM and waits for the exit; SIGKILL after `graceMs`, and then rejects (after the exit) so the launcher's
 * log says which component did not stop by itself.
 */
export function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      if (killed) reject(new Error(`still running ${graceMs} ms after SIGTERM; killed`));
      else resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Prefixes each output line of a child with its name. */
export function pipeWithPrefix(child: ChildProcess, name: string): void {
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    let buffer = '';
    stream.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) process.stdout.write(`[${name}] ${line}\n`);
    });
  }
}

export function spawnNode(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
  ipc = false,
): ChildProcess {
  // Source maps: stack traces from the compiled app and host point at the TypeScript sources.
  return spawn(process.execPath, ['--enable-source-maps', script, ...args], {
    cwd,
    env,
    stdio: ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
  });
}
