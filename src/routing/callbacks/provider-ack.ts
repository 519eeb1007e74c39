/** What the provider expects from a push receiver; anything else makes it deliver again. */
export const PROVIDER_ACK = { code: 0, msg: '接收成功' } as const;
