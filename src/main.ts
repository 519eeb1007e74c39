import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { bootstrap } from './bootstrap.js';
import { ConfigError, loadConfig } from './config/load-config.js';
import { prepareRuntime } from './runtime/prepare-runtime.js';

async function main(): Promise<void> {
  const logger = new Logger('Main');
  const settings = loadConfig();
  const { config, stops } = await prepareRuntime(settings);
  const app = await bootstrap(config, { stops });
  await app.listen(config.http.port, config.http.host);
  logger.log(`axb-router listening on ${await app.getUrl()}`);
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(error.message);
  } else {
    console.error('axb-router failed to start:', error instanceof Error ? error.stack : error);
  }
  process.exit(1);
});
