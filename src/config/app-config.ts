/** The validated, typed configuration the rest of the service receives by injection. */
export interface AppConfig {
  env: 'development' | 'production' | 'test';
  http: { host: string; port: number };
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'verbose';
  database: {
    /** Undefined means "start an embedded Postgres". */
    url?: string;
    poolSize: number;
    connectTimeoutMs: number;
    idleTimeoutMs: number;
    statementTimeoutMs: number;
    migrateOnStart: boolean;
    embedded: { dir: string; port: number };
  };
  provider: {
    /** Undefined means "start the built-in simulator". */
    endpoint?: string;
    accessKeyId: string;
    accessKeySecret: string;
    regionId: string;
    timeoutMs: number;
    connections: number;
    readRetries: number;
    embeddedSimulatorPort: number;
  };
  pools: { defaultPoolKey: string; defaultCity: string; maxPairsPerX: number };
  bindings: { maxTtlSeconds: number; maxBindAttempts: number };
}

/** Injection token for AppConfig. */
export const APP_CONFIG = Symbol('APP_CONFIG');
