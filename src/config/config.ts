import { settingNames, type Settings, settingsSchema } from './settings';

/** A storage account reached either by connection string (Azurite, local) or by identity (Azure). */
export type StorageConnection =
  | { readonly kind: 'connectionString'; readonly connectionString: string }
  | { readonly kind: 'identity'; readonly blobServiceUri: string };

export interface PostgresConnection {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  readonly ssl: boolean;
}

export interface AppConfig {
  readonly hostStorage: StorageConnection;
  readonly lakeStorage: StorageConnection;
  readonly stateContainer: string;
  readonly managedIdentityClientId: string | undefined;
  readonly azureml: {
    readonly subscriptionId: string;
    readonly resourceGroup: string;
    readonly workspace: string;
    readonly region: string;
    readonly armEndpoint: string;
    readonly dataPlaneEndpoint: string;
    /** Management api-version (pinned; see PINNED_AZUREML_API_VERSION). */
    readonly apiVersion: string;
  };
  readonly telemetry: {
    readonly connectionString: string | undefined;
    /** Export with a managed-identity token (APPLICATIONINSIGHTS_AUTHENTICATION_STRING); clientId: a user-assigned one. */
    readonly entraAuthentication: { readonly clientId: string | undefined } | undefined;
  };
  readonly catalogPath: string;
  /** Azure Database for PostgreSQL for batch.table outputs; undefined when not configured. */
  readonly postgres: PostgresConnection | undefined;
  /** Non-fatal problems found at startup (e.g. an unresolved Key Vault reference); logged once by the app. */
  readonly warnings: readonly string[];
  readonly webhooks: {
    readonly githubSecret: string | undefined;
    readonly azureDevOps: { readonly username: string; readonly password: string } | undefined;
    readonly genericSecret: string | undefined;
  };
}

/** Raised at startup when settings are missing or invalid; the message names every offending setting. */
export class ConfigError extends Error {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`Invalid app settings:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

function storageConnection(
  settings: Settings,
  name: 'AzureWebJobsStorage' | 'LAKE_STORAGE',
  problems: string[],
): StorageConnection {
  const connectionString = settings[name];
  if (connectionString) return { kind: 'connectionString', connectionString };
  const uri = settings[`${name}__blobServiceUri`];
  if (uri) return { kind: 'identity', blobServiceUri: uri.replace(/\/$/, '') };
  const account = settings[`${name}__accountName`];
  if (account) return { kind: 'identity', blobServiceUri: `https://${account}.blob.core.windows.net` };
  problems.push(`${name}: missing; set ${name} (connection string) or ${name}__accountName (managed identity)`);
  return { kind: 'connectionString', connectionString: '' };
}

/** App Service hands the literal reference to the app when it cannot resolve a Key Vault secret. */
const unresolvedKeyVaultReference = /^@Microsoft\.KeyVault\(/i;

/**
 * Replaces unresolved Key Vault references by "not set" so the feature behind them reports itself as not
 * configured, instead of, say, verifying webhook signatures against the reference text.
 */
function dropUnresolvedReferences(env: Readonly<Record<string, string | undefined>>, warnings: string[]) {
  const cleaned: Record<string, string | undefined> = { ...env };
  for (const name of settingNames) {
    const value = env[name];
    if (value !== undefined && unresolvedKeyVaultReference.test(value.trim())) {
      warnings.push(`${name}: the Key Vault reference could not be resolved; treated as not set`);
      cleaned[name] = undefined;
    }
  }
  return cleaned;
}

/** `Authorization=AAD;ClientId=<id>` (keys case-insensitive, any order) as the exporter's identity. */
function entraAuthentication(value: string | undefined): { readonly clientId: string | undefined } | undefined {
  if (!value) return undefined;
  const fields = new Map(
    value
      .split(';')
      .map((part) => part.split('=').map((x) => x.trim()))
      .filter((kv): kv is [string, string] => kv.length === 2 && kv[0] !== '')
      .map(([k, v]) => [k.toLowerCase(), v] as const),
  );
  return Object.freeze({ clientId: fields.get('clientid') || undefined });
}

/**
 * Reads and validates the app settings once.
 *
 * @throws ConfigError listing every missing or invalid setting by name.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): AppConfig {
  const warnings: string[] = [];
  const parsed = settingsSchema.safeParse(dropUnresolvedReferences(env, warnings));
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const s = parsed.data;
  const problems: string[] = [];
  const hostStorage = storageConnection(s, 'AzureWebJobsStorage', problems);
  const lakeStorage = storageConnection(s, 'LAKE_STORAGE', problems);
  const devOpsUser = s.AZURE_DEVOPS_WEBHOOK_USERNAME;
  const devOpsPassword = s.AZURE_DEVOPS_WEBHOOK_PASSWORD;
  if (Boolean(devOpsUser) !== Boolean(devOpsPassword)) {
    problems.push(
      'AZURE_DEVOPS_WEBHOOK_USERNAME/AZURE_DEVOPS_WEBHOOK_PASSWORD: set both or neither (basic auth needs both)',
    );
  }
  if (s.BATCH_POSTGRES_HOST && !s.BATCH_POSTGRES_USER) {
    problems.push('BATCH_POSTGRES_USER: required with BATCH_POSTGRES_HOST (the role the app logs in as)');
  }
  if (problems.length > 0) throw new ConfigError(problems);

  return Object.freeze({
    hostStorage,
    lakeStorage,
    stateContainer: s.MLOPS_STATE_CONTAINER,
    managedIdentityClientId: s.AZURE_CLIENT_ID,
    azureml: Object.freeze({
      subscriptionId: s.AZUREML_SUBSCRIPTION_ID,
      resourceGroup: s.AZUREML_RESOURCE_GROUP,
      workspace: s.AZUREML_WORKSPACE_NAME,
      region: s.AZUREML_REGION,
      armEndpoint: s.AZUREML_ARM_ENDPOINT.replace(/\/$/, ''),
      dataPlaneEndpoint: (s.AZUREML_DATAPLANE_ENDPOINT ?? `https://${s.AZUREML_REGION}.api.azureml.ms`).replace(
        /\/$/,
        '',
      ),
      apiVersion: s.AZUREML_API_VERSION,
    }),
    telemetry: Object.freeze({
      connectionString: s.APPLICATIONINSIGHTS_CONNECTION_STRING,
      entraAuthentication: entraAuthentication(s.APPLICATIONINSIGHTS_AUTHENTICATION_STRING),
    }),
    catalogPath: s.MLOPS_CATALOG_PATH,
    postgres:
      s.BATCH_POSTGRES_HOST && s.BATCH_POSTGRES_USER
        ? Object.freeze({
            host: s.BATCH_POSTGRES_HOST,
            port: s.BATCH_POSTGRES_PORT,
            database: s.BATCH_POSTGRES_DATABASE,
            user: s.BATCH_POSTGRES_USER,
            ssl: s.BATCH_POSTGRES_SSL === 'require',
          })
        : undefined,
    warnings: Object.freeze(warnings),
    webhooks: Object.freeze({
      githubSecret: s.GITHUB_WEBHOOK_SECRET,
      azureDevOps:
        devOpsUser && devOpsPassword ? Object.freeze({ username: devOpsUser, password: devOpsPassword }) : undefined,
      genericSecret: s.GENERIC_WEBHOOK_SECRET,
    }),
  });
}

let cached: AppConfig | undefined;

/** The process-wide configuration, loaded and validated on first use. */
export function getConfig(): AppConfig {
  cached ??= loadConfig();
  return cached;
}
