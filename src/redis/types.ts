/** One command argument as the client accepts it; numbers are sent in their decimal form. */
export type RedisArg = string | number | Buffer;

/**
 * The narrow client surface the pattern code needs: a generic command call. ioredis's `Redis` satisfies it,
 * and so does a recorded client, because recording happens below `call`.
 */
export interface RedisCaller {
  call(command: string, ...args: RedisArg[]): Promise<unknown>;
}
