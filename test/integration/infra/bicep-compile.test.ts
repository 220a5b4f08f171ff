/**
 * `infra/main.bicep` compiled and linted by the real Bicep CLI (NuGet `Azure.Bicep.CommandLine.<rid>`, restored with
 * `dotnet` into `.local/bicep`, pinned in infra/scripts/bicep-cli.ts), and the produced ARM JSON checked against the
 * infra consistency rules. Skipped, saying so, only where the .NET SDK is missing.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import {
  BICEP_VERSION,
  type BicepDiagnostic,
  dotnetSdkVersion,
  ensureBicep,
  formatDiagnostics,
  runBicep,
  typeWarningCodes,
} from '../../../infra/scripts/bicep-cli';
import type { ArmTemplate } from './arm-template';
import { checkCompiledTemplate } from './arm-checks';

const repoRoot = path.resolve(__dirname, '..', '..', '..');
const dotnet = dotnetSdkVersion();

/** Errors, the type warnings that mean a wrong property, and every other warning (the templates have none). */
function blocking(diagnostics: readonly BicepDiagnostic[]): string[] {
  return formatDiagnostics(diagnostics.filter((d) => d.level !== 'note'));
}

interface Compiled {
  readonly status: number;
  readonly diagnostics: BicepDiagnostic[];
  readonly template: ArmTemplate | undefined;
}

function compile(bicep: string, root: string): Compiled {
  const out = mkdtempSync(path.join(os.tmpdir(), 'bicep-build-'));
  try {
    const outfile = path.join(out, 'main.json');
    const result = runBicep(bicep, ['build', path.join('infra', 'main.bicep'), '--outfile', outfile], root);
    let template: ArmTemplate | undefined;
    try {
      template = JSON.parse(readFileSync(outfile, 'utf8')) as ArmTemplate;
    } catch {
      template = undefined;
    }
    return { status: result.status, diagnostics: result.diagnostics, template };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

function copyOfInfra(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bicep-mutation-'));
  cpSync(path.join(repoRoot, 'infra'), path.join(dir, 'infra'), { recursive: true });
  cpSync(path.join(repoRoot, 'azure.yaml'), path.join(dir, 'azure.yaml'));
  return dir;
}

function edit(root: string, relative: string, from: string, to: string): void {
  const file = path.join(root, relative);
  const before = readFileSync(file, 'utf8');
  if (!before.includes(from)) throw new Error(`mutation of ${relative} did not apply: ${from}`);
  writeFileSync(file, before.replace(from, to));
}

const suite = dotnet ? describe : describe.skip;
suite(
  `Bicep compiler ${BICEP_VERSION}${dotnet ? '' : ' (skipped: the .NET SDK is not on PATH; install it to restore the Bicep CLI from NuGet)'}`,
  () => {
    let bicep = '';
    beforeAll(() => {
      bicep = ensureBicep();
    }, 300_000);

    test('when main.bicep is built, then it compiles without errors or warnings and the ARM JSON is consistent', () => {
      const compiled = compile(bicep, repoRoot);
      expect(blocking(compiled.diagnostics)).toEqual([]);
      expect(compiled.status).toBe(0);
      expect(compiled.template).toBeDefined();
      expect(checkCompiledTemplate(compiled.template as ArmTemplate, repoRoot)).toEqual([]);
    });

    test('when every template is linted, then the linter reports nothing', () => {
      const result = runBicep(bicep, ['lint', '--pattern', 'infra/**/*.bicep'], repoRoot);
      expect(blocking(result.diagnostics)).toEqual([]);
      expect(result.status).toBe(0);
    });

    describe('catches mistakes (mutated copies)', () => {
      let root: string;
      beforeEach(() => {
        root = copyOfInfra();
      });
      afterEach(() => {
        rmSync(root, { recursive: true, force: true });
      });

      test('when a property name is misspelt, then the type warning is reported with file and line', () => {
        edit(root, 'infra/app/storage.bicep', 'allowSharedKeyAccess: false', 'allowSharedKeyAcess: false');
        const problems = blocking(compile(bicep, root).diagnostics);
        expect(problems).toEqual([
          expect.stringMatching(/^infra\/app\/storage\.bicep:\d+ warning BCP\d+: .*allowSharedKeyAcess/),
        ]);
        const code = /warning (BCP\d+)/.exec(problems[0] ?? '')?.[1] ?? '';
        expect(typeWarningCodes).toContain(code);
      });

      test('when a role id is wrong, then the compiled role definition is reported', () => {
        edit(
          root,
          'infra/app/built-in-roles.json',
          '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
          '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa4',
        );
        const compiled = compile(bicep, root);
        expect(compiled.status).toBe(0);
        expect(checkCompiledTemplate(compiled.template as ArmTemplate, root)).toEqual([
          'rbac.bicep: role "Storage Table Data Contributor" compiles to role definition 0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa4, but the built-in role id is 0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
        ]);
      });

      test('when a module references an unknown parameter, then the compiler error fails the build', () => {
        edit(root, 'infra/app/function-app.bicep', 'serverFarmId: plan.id', 'serverFarmId: planId');
        const compiled = compile(bicep, root);
        expect(compiled.status).not.toBe(0);
        expect(blocking(compiled.diagnostics)).toEqual(
          expect.arrayContaining([expect.stringMatching(/^infra\/app\/function-app\.bicep:\d+ error BCP057/)]),
        );
      });
    });
  },
);
