/**
 * Runs a Node program (Azurite) as a launcher child that stops as soon as the launcher is gone, even when the
 * launcher was killed with SIGKILL and could not stop it: the IPC channel to the parent closes with the parent.
 * The program gets a SIGTERM, so Azurite saves its data as on a normal stop (storage stays durable, as Azure
 * Storage is, when the app's processes crash), and the guard exits for it if it has not within a few seconds.
 * Usage: node child-guard.js <program.js> [args...]
 */
const [program, ...args] = process.argv.slice(2);
if (!program) {
  process.stderr.write('usage: child-guard <program.js> [args...]\n');
  process.exit(2);
}
// With the launcher gone, its end of our output pipes is closed: writing there must not crash the program while
// it saves its data (EPIPE on Azurite's "closing" lines would end the process mid-save).
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
// The channel must not keep the program alive: on a normal stop (SIGTERM from the launcher) Azurite closes its
// servers and exits by itself; an open IPC handle would hold it until the launcher's grace period kills it.
process.channel?.unref();
process.on('disconnect', () => {
  setTimeout(() => process.exit(0), 10_000).unref();
  process.kill(process.pid, 'SIGTERM');
});
process.argv = [process.argv[0] ?? process.execPath, program, ...args];
// eslint-disable-next-line @typescript-eslint/no-require-imports
require(program);
