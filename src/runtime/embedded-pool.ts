import { Logger, type INestApplicationContext } from '@nestjs/common';
import type { AppConfig } from '../config/app-config.js';
import { InventoryService } from '../inventory/inventory.service.js';

/** Numbers bought for the default pool on a first start with the built-in simulator. */
export const STARTER_NUMBERS = 3;

/**
 * With the built-in simulator, the service starts with a ready pool: when the default pool holds no
 * numbers, a few carrier numbers (spec 2) of the default city are bought, so the README's first
 * bind works. Only in this embedded mode: with a real provider numbers cost money.
 */
export async function readyEmbeddedPool(
  app: INestApplicationContext,
  config: AppConfig,
): Promise<void> {
  const logger = new Logger('Runtime');
  const inventory = app.get(InventoryService);
  const { defaultPoolKey: poolKey, defaultCity: city } = config.pools;
  const held = (await inventory.list(poolKey)).filter((n) => n.releasedAt === null);
  if (held.length > 0) {
    logger.log(`Built-in simulator: pool ${poolKey} holds ${held.length} number(s)`);
    return;
  }
  const result = await inventory.buy(poolKey, 2, city, STARTER_NUMBERS, undefined);
  logger.warn(
    `Built-in simulator: pool ${poolKey} held no numbers, bought ${result.bought.length} in ${city} ` +
      `(${result.bought.join(', ')}) so bindings work right away`,
  );
}
