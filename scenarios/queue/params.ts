export interface QueueParams {
  /** Messages the producer sends. */
  messages: number;
  /** Consumers, each on its own connection (at least 2 with `crash`: one dies for good, one restarts). */
  consumers: number;
  /** Messages a consumer works on at once (three BRPOPs / BLMOVEs, or XREADGROUP COUNT). */
  batch: number;
  /** consumer-1 dies mid-batch for good, consumer-2 dies mid-batch and restarts. */
  crash: boolean;
  /** BRPOP / BLMOVE timeout and XREADGROUP BLOCK, ms: well under the client's command timeout. */
  blockMs: number;
  /** Reliable list: the visibility timeout. Stream: XAUTOCLAIM's minimum idle time. */
  visibilityMs: number;
  /** Stream: deliveries after which a failing message goes to the dead-letter stream. */
  maxDeliveries: number;
  /** Stream: the last message cannot be sent (a poison message). */
  poison: boolean;
}

export const defaultQueueParams: QueueParams = {
  messages: 12,
  consumers: 3,
  batch: 3,
  crash: true,
  blockMs: 100,
  visibilityMs: 150,
  maxDeliveries: 3,
  poison: true,
};

export const CHAPTER = "4.7 Message queues";
