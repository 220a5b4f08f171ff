export { type AppConfig, ConfigError, getConfig, loadConfig, type StorageConnection } from './config';
export { requiredSettingNames, secretSettingNames, settingNames, settingsSchema, type Settings } from './settings';
