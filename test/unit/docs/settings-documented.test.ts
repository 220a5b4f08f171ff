import { readFileSync } from 'node:fs';
import path from 'node:path';

import { settingNames } from '../../../src/config';

const root = path.resolve(__dirname, '..', '..', '..');

describe('app settings documentation', () => {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const sample = JSON.parse(readFileSync(path.join(root, 'local.settings.sample.json'), 'utf8')) as {
    Values: Record<string, string>;
  };

  it('when a setting exists in the config schema, then the README settings table documents it', () => {
    const undocumented = settingNames.filter((name) => !readme.includes(`| \`${name}\``));
    expect(undocumented).toEqual([]);
  });

  it('when a setting exists in the config schema, then local.settings.sample.json lists it', () => {
    const missing = settingNames.filter((name) => !(name in sample.Values));
    expect(missing).toEqual([]);
  });

  it('when local.settings.sample.json lists a value, then the app reads it (or it is a host setting)', () => {
    const hostSettings = new Set(['FUNCTIONS_WORKER_RUNTIME']);
    const unknown = Object.keys(sample.Values).filter(
      (name) => !hostSettings.has(name) && !(settingNames as string[]).includes(name),
    );
    expect(unknown).toEqual([]);
  });
});
