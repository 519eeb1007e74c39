import {
  alicomQueueName,
  isMessageType,
  MESSAGE_TYPES,
} from '../../src/protocol/alicom-messages.js';
import { formatProviderDate } from '../../src/protocol/provider-dates.js';
import { ApiError } from '../http/api-error.js';
import { optional, required, type ActionHandler } from './context.js';

/**
 * Dybaseapi QueryTokenForMnsQueue (same version and gateway as Dyplsapi): temporary credentials
 * for the account's queue of one message type. QueueName is optional (`@alicloud/pls-sdk` sends
 * it as `queueName`); when given it must be that type's queue. Times are Beijing time.
 */
export const queryTokenForMnsQueue: ActionHandler = (ctx) => {
  const messageType = required(ctx, 'MessageType');
  if (!isMessageType(messageType)) {
    throw new ApiError(
      'isv.INVALID_PARAMETERS',
      `MessageType must be one of ${MESSAGE_TYPES.join(', ')}`,
    );
  }
  const expected = alicomQueueName(ctx.state.options.accountUid, messageType);
  const queueName = optional(ctx, 'QueueName') ?? optional(ctx, 'queueName') ?? expected;
  if (queueName !== expected) {
    throw new ApiError('isv.INVALID_PARAMETERS', `QueueName of ${messageType} is ${expected}`);
  }
  const credential = ctx.state.tokens.issue(messageType, queueName, Date.now());
  return {
    MessageTokenDTO: {
      AccessKeyId: credential.accessKeyId,
      AccessKeySecret: credential.accessKeySecret,
      SecurityToken: credential.securityToken,
      CreateTime: formatProviderDate(new Date(credential.createdAt)),
      ExpireTime: formatProviderDate(new Date(credential.expiresAt)),
    },
  };
};
