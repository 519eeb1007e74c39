/**
 * API keys every test app is configured with (API_KEYS), one per role plus one with all roles,
 * which http() sends unless a test says otherwise. Test-only values.
 *
 * Caller groups (issue 27: order keys act only on their group's bindings): the all-roles key is
 * in the group of `order-service`, so the order key may act on what tests bind with the default
 * key; `orderTwin` is another key of that group, `rivalOrder` an order key of a group of its own.
 */
const key = (prefix: string) => `axb_${prefix}_${'t'.repeat(12)}${prefix}${'k'.repeat(12)}`;

export const TEST_KEYS = {
  all: key('testall0'),
  order: key('testordr'),
  routing: key('testrout'),
  admin: key('testadmn'),
  provider: key('testprov'),
  safety: key('testsafe'),
  orderTwin: key('testtwin'),
  rivalOrder: key('testrivl'),
} as const;

export const TEST_CALLBACK_SECRET = 'test-callback-secret';

export const TEST_AUTH_ENV: Record<string, string> = {
  API_KEYS: [
    `tester:order+routing+admin+provider:${TEST_KEYS.all}:order-service`,
    `order-service:order:${TEST_KEYS.order}`,
    `order-service-2:order:${TEST_KEYS.orderTwin}:order-service`,
    `rival-orders:order:${TEST_KEYS.rivalOrder}`,
    `routing-service:routing:${TEST_KEYS.routing}`,
    `ops:admin:${TEST_KEYS.admin}`,
    `alibaba:provider:${TEST_KEYS.provider}`,
    `safety-team:safety:${TEST_KEYS.safety}`,
  ].join(','),
  CALLBACK_SECRET: TEST_CALLBACK_SECRET,
};

/**
 * Turns on number-health pushes over HTTP (off by default: Alibaba delivers number health only
 * through the message queue), for tests that push health reports themselves.
 */
export const HEALTH_PUSH_ON = { CALLBACK_NUMBER_HEALTH_ENABLED: 'true' };

/** Query string that authenticates a provider push (the provider can only be given a URL). */
export const CALLBACK_QUERY = `?key=${TEST_KEYS.provider}&secret=${TEST_CALLBACK_SECRET}`;
