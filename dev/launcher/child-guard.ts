/**
 * Runs a Node program (Azurite) as a launcher child that exits as soon as the launcher is gone, even when the
 * launcher was killed with SIGKILL and could not stop it: the IPC channel to the parent closes with the parent.
 * Usage: node child-guard.js <program.js> [args...]
 *
 * @remarks The program is then stopped the way SIGTERM stops it, not cut off: Azurite writes its databases on
 * shutdown (between its periodic saves, every 5 s, they live in memory), so a write it acknowledged before the
 * launcher died is still there after a restart — Azure Storage does not lose writes when a client crashes. Should
 * the program not end on SIGTERM, the guard ends it after a grace period.
 */
const GRACE_MS = 10_000;

const [program, ...args] = process.argv.slice(2);
if (!program) {
  process.stderr.write('usage: child-guard <program.js> [args...]\n');
  process.exit(2);
}
process.on('disconnect', () => {
  // The launcher's end of stdout/stderr is gone too: a write would fail with EPIPE and, unhandled, end the process
  // before the program has saved anything.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
  setTimeout(() => process.exit(0), GRACE_MS).unref();
  process.kill(process.pid, 'SIGTERM');
});
process.argv = [process.argv[0] ?? process.execPath, program, ...args];
// eslint-disable-next-line @typescript-eslint/no-require-imports
require(program);
