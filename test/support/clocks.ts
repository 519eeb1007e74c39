import { TestClock } from './test-clock.js';
import type { TestSimulator } from './simulator.js';

/**
 * The service's clock and the simulator's moved together, so both sides agree on what has
 * expired (the simulator judges Expiration on its own clock; its signature checks use real time).
 * Tests move time instead of waiting for it.
 */
export class SharedClock extends TestClock {
  /** How far ours is ahead of the simulator's (moved with `serviceOnly`). */
  private ahead = 0;

  constructor(private readonly sim: Pick<TestSimulator, 'control'>) {
    super();
  }

  /** Moves both clocks; `serviceOnly` moves ours alone (the provider has not seen the time pass). */
  async forward(ms: number, { serviceOnly = false } = {}): Promise<void> {
    this.advance(ms);
    if (serviceOnly) this.ahead += ms;
    else await this.sim.control('POST', '/clock/advance', { ms });
  }

  /** Brings the simulator's clock level with ours again. */
  async level(): Promise<void> {
    if (this.ahead === 0) return;
    await this.sim.control('POST', '/clock/advance', { ms: this.ahead });
    this.ahead = 0;
  }
}
