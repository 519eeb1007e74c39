import { loadSimulatorConfig } from './config.js';
import { startSimulator } from './server.js';

/** `npm run simulator`: the standalone Dyplsapi simulator. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadSimulatorConfig();
  } catch (error) {
    console.error(`simulator: invalid configuration: ${(error as Error).message}`);
    process.exit(1);
  }
  const simulator = await startSimulator(config);
  console.log(
    `Dyplsapi simulator listening at ${simulator.url} (control API ${simulator.controlUrl}); ` +
      `pools ${config.poolKeys.join(', ')}; access key id ${config.accessKeyId}`,
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`simulator: ${signal} received, stopping`);
    simulator.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('simulator: error while stopping', error);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

void main().catch((error: unknown) => {
  console.error('simulator: failed to start', error);
  process.exit(1);
});
