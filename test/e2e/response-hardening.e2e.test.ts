import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RouteAccessTable } from '../../src/auth/route-access.js';
import type { BindingView } from '../../src/bindings/binding.view.js';
import { CONSOLE_DIST } from '../../src/console/console-assets.js';
import { startTestSimulator, type TestSimulator } from '../support/simulator.js';
import { http, startTestApp, type TestApp } from '../support/test-app.js';
import { TEST_KEYS } from '../support/test-keys.js';

/**
 * Issue 27, finding 6 / requirement 7: answers that carry full numbers are never cached, missing
 * files under the static prefixes answer 404, and the OpenAPI document marks every keyed route
 * with its security, as the access table decides it.
 */
const POOL = 'FCHARDENING';
let sim: TestSimulator;
let t: TestApp;

beforeAll(async () => {
  sim = await startTestSimulator({ poolKeys: [POOL], ownedPerCity: 0 });
  t = await startTestApp(sim.env);
  await http('POST', `${t.url}/v1/pools/${POOL}/numbers`, { spec: 2, city: '杭州', count: 1 });
});
afterAll(async () => {
  await t?.close();
  await sim?.close();
});

describe('answers with full numbers', () => {
  it('are Cache-Control: no-store, whichever route gives them', async () => {
    const created = await http<BindingView>('POST', `${t.url}/v1/bindings`, {
      outId: 'no-store-1',
      phoneA: '13811112222',
      phoneB: '13933334444',
      ttlSeconds: 3600,
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    const answers = {
      'POST /v1/bindings': created,
      'POST /v1/bindings (replay)': await http('POST', `${t.url}/v1/bindings`, {
        outId: 'no-store-1',
        phoneA: '13811112222',
        phoneB: '13933334444',
        ttlSeconds: 3600,
      }),
      'PATCH /v1/bindings/:id': await http('PATCH', `${t.url}/v1/bindings/${id}`, {
        phoneB: '13955556666',
      }),
      'GET /v1/bindings/:id': await http('GET', `${t.url}/v1/bindings/${id}`),
      'GET /v1/bindings/:id masked': await http('GET', `${t.url}/v1/bindings/${id}?view=masked`),
      'GET /v1/bindings?phone=': await http('GET', `${t.url}/v1/bindings?phone=13811112222`),
      'POST /v1/routing/lookup': await http('POST', `${t.url}/v1/routing/lookup`, {
        bindingId: id,
        callerNo: '13811112222',
      }),
      'POST /v1/bindings (409)': await http('POST', `${t.url}/v1/bindings`, {
        outId: 'no-store-1',
        phoneA: '13811112222',
        phoneB: '13977778888',
        ttlSeconds: 3600,
      }),
      'DELETE /v1/bindings/:id': await http('DELETE', `${t.url}/v1/bindings/${id}`),
    };
    for (const [route, res] of Object.entries(answers)) {
      expect(res.status, route).toBeLessThan(500);
      expect(res.headers.get('cache-control'), route).toBe('no-store');
    }
    expect(JSON.stringify(answers['GET /v1/bindings/:id'].body)).toContain('13811112222');
  });

  it('leave the console’s own files their caching', async () => {
    if (!existsSync(join(CONSOLE_DIST, 'index.html'))) return; // covered where the console is built
    const page = await fetch(`${t.url}/console/`);
    expect(page.headers.get('cache-control')).toBe('no-cache');
    const asset = readdirSync(join(CONSOLE_DIST, 'assets'))[0]!;
    const file = await fetch(`${t.url}/console/assets/${asset}`);
    expect(file.headers.get('cache-control')).toContain('immutable');
  });
});

describe('static paths', () => {
  it('answer 404 for a missing file under /console and /docs, not 405', async () => {
    for (const path of ['/console/nope.js', '/console/assets/nope.css', '/docs/nope.js']) {
      for (const method of ['GET', 'HEAD']) {
        const res = await fetch(`${t.url}${path}`, {
          method,
          headers: { authorization: `Bearer ${TEST_KEYS.admin}` },
        });
        expect(res.status, `${method} ${path}`).toBe(404);
        expect(res.headers.get('allow'), `${method} ${path}`).toBeNull();
      }
    }
    // Another method on those paths is still a 405 naming the ones served.
    const post = await http<{ code: string }>('POST', `${t.url}/console/nope.js`, {});
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toContain('GET');
  });
});

type Operation = { security?: Array<Record<string, string[]>>; 'x-roles'?: string[] };

describe('the OpenAPI document', () => {
  it('marks every route the access table keys with its security and roles, public ones with none', async () => {
    const doc = await http<{ paths: Record<string, Record<string, Operation>> }>(
      'GET',
      `${t.url}/docs/json`,
      undefined,
      { authorization: `Bearer ${TEST_KEYS.admin}` },
    );
    expect(doc.status).toBe(200);
    const routes = t.app.get(RouteAccessTable).routes();
    const keyed = routes.filter((r) => !r.access.public);
    expect(keyed.length).toBeGreaterThan(15);
    const undocumented: string[] = [];
    for (const route of routes) {
      const path = route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
      const operation = doc.body.paths[path]?.[route.method.toLowerCase()];
      if (!operation) {
        undocumented.push(`${route.method} ${route.url}`);
        continue;
      }
      const name = `${route.method} ${route.url}`;
      if (route.access.public) {
        expect(operation.security, name).toEqual([]);
      } else {
        expect(operation.security, name).toContainEqual({ bearer: [] });
        expect(operation['x-roles'], name).toEqual([...route.access.roles]);
      }
    }
    // Every route the service has is in the document.
    expect(undocumented).toEqual([]);
    expect(doc.body.paths['/v1/admin/operations']!.get!.security).toEqual([
      { bearer: [] },
      { 'console-session': [] },
    ]);
  });
});
