export { type AppConfig, ConfigError, getConfig, loadConfig, type StorageConnection } from './config';
export {
  PINNED_AZUREML_API_VERSION,
  requiredSettingNames,
  secretSettingNames,
  settingNames,
  settingsSchema,
  type Settings,
} from './settings';
