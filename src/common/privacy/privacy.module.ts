import { Global, Module } from '@nestjs/common';
import { PhoneHasher } from './phone-hasher.js';

/** The keyed hash of aged numbers, for the aging job, erasure and search alike. */
@Global()
@Module({ providers: [PhoneHasher], exports: [PhoneHasher] })
export class PrivacyModule {}
