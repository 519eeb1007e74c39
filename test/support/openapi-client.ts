import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

interface OpenApiModule {
  default: new (config: unknown) => {
    callApi(params: unknown, request: unknown, runtime: unknown): Promise<{ body: unknown }>;
  };
  Config: new (map: Record<string, unknown>) => unknown;
  Params: new (map: Record<string, unknown>) => unknown;
  OpenApiRequest: new (map: Record<string, unknown>) => unknown;
}
interface TeaUtilModule {
  RuntimeOptions: new (map: Record<string, unknown>) => unknown;
}

export interface OpenApiCaller {
  /** One RPC-style call as the generated `@alicloud/dyplsapi20170525` 2.x client makes it. */
  call(
    action: string,
    params: Record<string, string | number | boolean>,
    options?: { inBody?: boolean; version?: string },
  ): Promise<Record<string, unknown>>;
}

/**
 * Alibaba's Darabonba client (`@alicloud/openapi-client`) with its default configuration, i.e.
 * V3 signatures (ACS3-HMAC-SHA256). Generated product clients call `callApi` with these Params:
 * RPC style, POST to "/", parameters in the query (`inBody` puts them in a form body instead).
 */
export function openApiCaller(
  endpointUrl: string,
  credentials: { accessKeyId: string; accessKeySecret: string },
): OpenApiCaller {
  const openapi = require('@alicloud/openapi-client') as OpenApiModule;
  const util = require('@alicloud/tea-util') as TeaUtilModule;
  const url = new URL(endpointUrl);
  const client = new openapi.default(
    new openapi.Config({
      accessKeyId: credentials.accessKeyId,
      accessKeySecret: credentials.accessKeySecret,
      endpoint: url.host,
      protocol: url.protocol.replace(':', ''),
      regionId: 'cn-hangzhou',
      readTimeout: 10_000,
      connectTimeout: 5_000,
    }),
  );
  return {
    async call(action, params, options = {}) {
      const request = new openapi.OpenApiRequest(
        options.inBody ? { body: params } : { query: params },
      );
      const response = await client.callApi(
        new openapi.Params({
          action,
          version: options.version ?? '2017-05-25',
          protocol: url.protocol.replace(':', '').toUpperCase(),
          pathname: '/',
          method: 'POST',
          authType: 'AK',
          style: 'RPC',
          reqBodyType: 'formData',
          bodyType: 'json',
        }),
        request,
        new util.RuntimeOptions({ autoretry: false }),
      );
      return response.body as Record<string, unknown>;
    },
  };
}
