export { type AppConfig, type AppConfigInput, appConfigSchema, loadAppConfig } from './app-config.js';
export { type CreateAppOptions, createApp } from './create-app.js';
export { type AppLogger, type CreateLoggerOptions, createLogger } from './create-logger.js';
export { type RunningServer, type StartServerOptions, startServer } from './start-server.js';
