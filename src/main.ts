import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { bootstrap } from './bootstrap.js';
import type { AppConfig } from './config/app-config.js';
import { ConfigError, loadConfig } from './config/load-config.js';
import { AppLogger } from './logging/app-logger.js';
import { createPino } from './logging/pino-logger.js';
import { readyEmbeddedPool } from './runtime/embedded-pool.js';
import { prepareRuntime } from './runtime/prepare-runtime.js';
import { GracefulShutdown } from './runtime/graceful-shutdown.js';
import { startupSummary } from './runtime/startup-summary.js';

/** Config (.env under the environment) → logger → embedded deps if unconfigured → app → listen. */
async function main(): Promise<void> {
  let settings: AppConfig;
  try {
    settings = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // In the form LOG_FORMAT asks for (when that setting is valid itself), at the default level.
    createPino('info', { format: error.logFormat }).fatal(
      { problems: error.problems },
      error.message,
    );
    process.exit(1);
  }
  const appLogger = new AppLogger(createPino(settings.logLevel, { format: settings.logFormat }));
  // Every `new Logger(…)` writes through pino from the first line on.
  Logger.overrideLogger(appLogger);
  const logger = new Logger('Main');
  const { config, stops, started: dependencies } = await prepareRuntime(settings);
  const app = await bootstrap(config, { stops, logger: appLogger });
  const started = (async () => {
    await app.init();
    if (dependencies.simulator) await readyEmbeddedPool(app, config);
    await app.listen(config.http.port, config.http.host);
    // Where it is, what it uses, what to do next: one line each (startup-summary.ts).
    for (const line of startupSummary(config, dependencies, await app.getUrl())) logger.log(line);
  })();
  // One owner of the shutdown sequence (src/runtime/graceful-shutdown.ts), from the moment the
  // app exists (a signal during start-up waits for it to finish); a second signal changes nothing.
  const shutdown = app.get(GracefulShutdown);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      started
        .catch(() => undefined)
        .then(() => shutdown.run(signal))
        .then(
          () => process.exit(0),
          (error: unknown) => {
            logger.error(
              `Shutdown failed: ${error instanceof Error ? error.stack : String(error)}`,
            );
            process.exit(1);
          },
        );
    });
  }
  await started;
}

main().catch((error: unknown) => {
  new Logger('Main').fatal(
    `axb-router failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
  );
  process.exit(1);
});
