import fs from 'node:fs';

import type { Command } from 'commander';

import type { CommandContext } from '../context';
import { positiveInt } from '../context';
import { CliError, ExitCodes } from '../errors';
import {
  deploymentLogsText,
  endpointDetailText,
  endpointsTable,
  modelDetailText,
  modelsTable,
  scoreText,
} from '../format';

/** `mlops models [model]`, `mlops endpoints [endpoint]`, `mlops logs <model>`, `mlops score <model>`. */
export function registerModelCommands(program: Command, ctx: CommandContext): void {
  program
    .command('models')
    .description('list the catalog models (live version, endpoint, last run), or one model with its versions')
    .argument('[model]', 'show this model: versions with gate decision, metrics, traffic and lineage')
    .action(async (model: string | undefined) => {
      const c = ctx.client();
      if (model) {
        const detail = await c.getModel(model);
        ctx.print(detail, () => modelDetailText(detail));
      } else {
        const list = await c.listModels();
        ctx.print(list, () => modelsTable(list.models));
      }
    });

  program
    .command('endpoints')
    .description('list the online endpoints with their traffic split, or one endpoint with its deployments')
    .argument('[endpoint]', 'show this endpoint: deployments, model versions, provisioning state, traffic')
    .action(async (endpoint: string | undefined) => {
      const c = ctx.client();
      if (endpoint) {
        const detail = await c.getEndpoint(endpoint);
        ctx.print(detail, () => endpointDetailText(detail));
      } else {
        const list = await c.listEndpoints();
        ctx.print(list, () => endpointsTable(list.endpoints));
      }
    });

  program
    .command('logs')
    .description("show a deployment's logs (model download and scoring server); default: the one serving traffic")
    .argument('<model>')
    .option('-d, --deployment <name>', 'a deployment of the model (also a deleted one whose release failed)')
    .option('-c, --container <name>', 'StorageInitializer or InferenceServer (default: both)')
    .option('-t, --tail <lines>', 'lines per container', positiveInt, 200)
    .action(async (model: string, o: { deployment?: string; container?: string; tail: number }) => {
      const logs = await ctx.client().deploymentLogs(model, {
        ...(o.deployment ? { deployment: o.deployment } : {}),
        ...(o.container ? { container: o.container } : {}),
        tail: o.tail,
      });
      ctx.print(logs, () => deploymentLogsText(logs));
    });

  program
    .command('score')
    .description("send one request to the model's endpoint and show the answer (default body: the smoke sample)")
    .argument('<model>')
    .option('-f, --file <path>', 'JSON request body from a file')
    .option('--data <json>', 'JSON request body')
    .option('-d, --deployment <name>', 'pin one deployment (azureml-model-deployment)')
    .action(async (model: string, o: { file?: string; data?: string; deployment?: string }) => {
      const text = o.file ? fs.readFileSync(o.file, 'utf8') : o.data;
      let body: unknown;
      if (text !== undefined) {
        try {
          body = JSON.parse(text) as unknown;
        } catch (err) {
          throw new CliError(`The request body is not JSON: ${(err as Error).message}`, ExitCodes.usage);
        }
      }
      const result = await ctx.client().score(model, {
        ...(body !== undefined ? { body } : {}),
        ...(o.deployment ? { deployment: o.deployment } : {}),
      });
      ctx.print(result, () => scoreText(result));
    });
}
