#!/usr/bin/env node
/**
 * The `mlops` command (package.json "bin"): the operations API from a terminal, against the local dev host by
 * default or a deployed function app with --url/--key (or MLOPS_URL/MLOPS_KEY).
 */
import { readCliEnvironment } from '../config/cli';
import { createProgram } from './program';

const { run } = createProgram({
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  env: readCliEnvironment(),
  cwd: process.cwd(),
  isTTY: process.stdout.isTTY,
});

void run(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
