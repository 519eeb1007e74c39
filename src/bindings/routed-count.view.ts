import { ApiProperty } from '@nestjs/swagger';
import type { RoutedCount } from '../generated/prisma/client.js';

/**
 * How often a binding's routing lookups were answered one way, for one caller: the history of its
 * routing decisions, counted (a binding's first decision of each kind is also an event).
 */
export class RoutedCountView {
  @ApiProperty({ enum: ['A', 'B', 'other'], description: 'A or B of the binding, or anyone else' })
  caller!: string;
  @ApiProperty({ type: Number, nullable: true, description: 'Answered status; null: refused' })
  status!: number | null;
  @ApiProperty({ type: String, nullable: true, enum: ['provider', 'cache', 'local'] })
  source!: string | null;
  @ApiProperty() reason!: string;
  @ApiProperty() refused!: boolean;
  @ApiProperty() count!: number;
  @ApiProperty({ format: 'date-time' }) firstAt!: string;
  @ApiProperty({ format: 'date-time' }) lastAt!: string;
}

/** A row of routed_counts; its outcome is `<status>/<source>/<reason>` or `refused/<reason>`. */
export function toRoutedCountView(row: RoutedCount): RoutedCountView {
  const [head = '', second = '', ...rest] = row.outcome.split('/');
  const refused = head === 'refused';
  return {
    caller: row.caller,
    status: refused ? null : Number(head),
    source: refused ? null : second,
    reason: refused ? [second, ...rest].join('/') : rest.join('/'),
    refused,
    count: Number(row.count),
    firstAt: row.firstAt.toISOString(),
    lastAt: row.lastAt.toISOString(),
  };
}
