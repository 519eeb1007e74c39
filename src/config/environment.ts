import { Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';

/** Turns "true"/"false"/"1"/"0" into booleans and leaves anything else for the validator to name. */
const toBoolean = () =>
  Transform(({ value }: { value: unknown }) => {
    if (typeof value !== 'string') return value;
    const v = value.trim().toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(v)) return true;
    if (['false', '0', 'no', 'off'].includes(v)) return false;
    return value;
  });

/** Turns a decimal string into an integer; anything else stays a string so that @IsInt names it. */
const toInt = () =>
  Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : value,
  );

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'verbose'] as const;

/**
 * Every setting the service reads, validated once at start-up. Each property is one environment
 * variable; `.env.example` documents them all with the same defaults.
 */
export class Environment {
  @IsOptional() @IsIn(['development', 'production', 'test']) NODE_ENV: string = 'development';

  @toInt() @IsInt() @Min(0) @Max(65535) PORT: number = 3000;
  @IsString() @MinLength(1) HOST: string = '127.0.0.1';
  @IsIn(LOG_LEVELS) LOG_LEVEL: (typeof LOG_LEVELS)[number] = 'info';

  /** Unset: an embedded Postgres is started with its data under EMBEDDED_PG_DIR. */
  @IsOptional()
  @IsUrl({ protocols: ['postgres', 'postgresql'], require_tld: false, require_port: false })
  DATABASE_URL?: string;
  @toInt() @IsInt() @Min(1) @Max(500) DATABASE_POOL_SIZE: number = 10;
  @toInt() @IsInt() @Min(100) DATABASE_CONNECT_TIMEOUT_MS: number = 5000;
  @toInt() @IsInt() @Min(1000) DATABASE_IDLE_TIMEOUT_MS: number = 30000;
  @toInt() @IsInt() @Min(0) DATABASE_STATEMENT_TIMEOUT_MS: number = 15000;
  @toBoolean() @IsBoolean() MIGRATE_ON_START: boolean = true;

  @IsString() @MinLength(1) EMBEDDED_PG_DIR: string = '.data/postgres';
  @toInt() @IsInt() @Min(1) @Max(65535) EMBEDDED_PG_PORT: number = 54329;

  /** Unset: the built-in Dyplsapi simulator is started in-process and used over HTTP. */
  @IsOptional()
  @IsUrl({ protocols: ['http', 'https'], require_tld: false })
  PROVIDER_ENDPOINT?: string;
  @IsString() @MinLength(1) PROVIDER_ACCESS_KEY_ID: string = 'sim-access-key-id';
  @IsString() @MinLength(1) PROVIDER_ACCESS_KEY_SECRET: string = 'sim-access-key-secret';
  @IsString() @MinLength(1) PROVIDER_REGION_ID: string = 'cn-hangzhou';
  @toInt() @IsInt() @Min(50) @Max(120000) PROVIDER_TIMEOUT_MS: number = 3000;
  @toInt() @IsInt() @Min(1) @Max(1024) PROVIDER_CONNECTIONS: number = 32;
  @toInt() @IsInt() @Min(0) @Max(10) PROVIDER_READ_RETRIES: number = 2;
  @toInt() @IsInt() @Min(0) @Max(65535) EMBEDDED_SIMULATOR_PORT: number = 0;

  @IsString() @Matches(/^[A-Za-z0-9_-]{1,64}$/) DEFAULT_POOL_KEY: string = 'FC100000000000001';
  @IsString() @MaxLength(32) DEFAULT_CITY: string = '杭州';

  /** Longest binding a caller may ask for (expiresAt / ttlSeconds), in seconds. */
  @toInt() @IsInt() @Min(120) BINDING_MAX_TTL_SECONDS: number = 7 * 24 * 3600;
  /** Provider BindAxb attempts per bind when the provider reports a conflict on the chosen X. */
  @toInt() @IsInt() @Min(1) @Max(10) BIND_MAX_ATTEMPTS: number = 3;
  /** Live AXB pairs one X may carry at once (Dyplsapi's limit is 200). */
  @toInt() @IsInt() @Min(1) @Max(200) X_MAX_PAIRS: number = 200;
}
