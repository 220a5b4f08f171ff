/**
 * Runs a Node program (Azurite) as a launcher child that exits as soon as the launcher is gone, even when the
 * launcher was killed with SIGKILL and could not stop it: the IPC channel to the parent closes with the parent.
 * Usage: node child-guard.js <program.js> [args...]
 */
const [program, ...args] = process.argv.slice(2);
if (!program) {
  process.stderr.write('usage: child-guard <program.js> [args...]\n');
  process.exit(2);
}
process.on('disconnect', () => process.exit(0));
process.argv = [process.argv[0] ?? process.execPath, program, ...args];
// eslint-disable-next-line @typescript-eslint/no-require-imports
require(program);
