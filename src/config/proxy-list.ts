import { isIP } from 'node:net';
import {
  ValidatorConstraint,
  type ValidationArguments,
  type ValidatorConstraintInterface,
} from 'class-validator';

/** Names Fastify's trustProxy (proxy-addr) understands besides addresses and CIDRs. */
const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** The entries of TRUSTED_PROXIES: comma-separated, blanks dropped. */
export function parseProxyList(value: string): string[] {
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

/** An address (`10.0.0.7`, `::1`), a CIDR (`10.0.0.0/8`, `fd00::/8`) or a named range. */
export function isProxyEntry(entry: string): boolean {
  if (NAMED_RANGES.has(entry)) return true;
  const [address, prefix, extra] = entry.split('/');
  if (extra !== undefined || address === undefined) return false;
  const family = isIP(address);
  if (family === 0) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

@ValidatorConstraint({ name: 'isProxyList' })
export class IsProxyList implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return typeof value === 'string' && parseProxyList(value).every(isProxyEntry);
  }

  defaultMessage(args: ValidationArguments): string {
    return `${args.property} must be comma-separated addresses, CIDRs (10.0.0.0/8) or loopback, linklocal, uniquelocal`;
  }
}
