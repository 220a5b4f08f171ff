/**
 * Prints the README's app-settings table from the config schema, so the documentation is generated from the
 * same table the app validates against: `node dist/dev/tools/settings-table.js`.
 */
import { requiredSettingNames, settingNames, settingsSchema } from '../../src/config';

const rows = settingNames.map((name) => {
  const field = settingsSchema.shape[name];
  const required = requiredSettingNames.includes(name) ? 'yes' : 'no';
  const parsedDefault = field.safeParse(undefined);
  const fallback = parsedDefault.success && parsedDefault.data !== undefined ? `\`${String(parsedDefault.data)}\`` : '';
  return `| \`${name}\` | ${required} | ${fallback} | ${(field.description ?? '').replace(/\|/g, '\\|')} |`;
});
process.stdout.write(['| Setting | Required | Default | Meaning |', '|---|---|---|---|', ...rows].join('\n') + '\n');
