import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../src/routing/circuit-breaker.js';

function breaker(failures = 3, cooldownMs = 1_000) {
  let now = 0;
  const b = new CircuitBreaker({ failures, cooldownMs }, () => now);
  return { b, advance: (ms: number) => (now += ms) };
}

describe('CircuitBreaker', () => {
  it('opens after the configured number of consecutive failures only', () => {
    const { b } = breaker(3);
    b.failed();
    b.failed();
    b.succeeded();
    b.failed();
    b.failed();
    expect(b.state).toBe('closed');
    expect(b.tryAcquire()).toBe(true);
    b.failed();
    expect(b.state).toBe('open');
    expect(b.tryAcquire()).toBe(false);
  });

  it('lets one trial through after the cool-down; its success closes the circuit', () => {
    const { b, advance } = breaker(1, 1_000);
    b.failed();
    advance(999);
    expect(b.tryAcquire()).toBe(false);
    advance(1);
    expect(b.state).toBe('half-open');
    expect(b.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(false);
    b.succeeded();
    expect(b.state).toBe('closed');
    expect(b.tryAcquire()).toBe(true);
  });

  it('re-opens for a full cool-down when the trial fails', () => {
    const { b, advance } = breaker(5, 1_000);
    for (let i = 0; i < 5; i += 1) b.failed();
    advance(1_000);
    expect(b.tryAcquire()).toBe(true);
    b.failed();
    expect(b.state).toBe('open');
    advance(999);
    expect(b.tryAcquire()).toBe(false);
    advance(1);
    expect(b.tryAcquire()).toBe(true);
  });

  it('a released trial lets the next caller try', () => {
    const { b, advance } = breaker(1, 10);
    b.failed();
    advance(10);
    expect(b.tryAcquire()).toBe(true);
    b.released();
    expect(b.state).toBe('half-open');
    expect(b.tryAcquire()).toBe(true);
  });
});
