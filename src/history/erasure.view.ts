import { ApiProperty } from '@nestjs/swagger';

/** What an erasure changed. The number itself is never echoed back. */
export class ErasureView {
  @ApiProperty({ description: 'The number, masked' }) phone!: string;
  @ApiProperty({ description: 'Bindings whose columns held the number' }) bindings!: number;
  @ApiProperty({ description: 'Call records whose caller or callee was the number' })
  calls!: number;
  @ApiProperty({ format: 'date-time' }) erasedAt!: string;
}
