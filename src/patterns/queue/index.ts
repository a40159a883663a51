/**
 * Message queues (chapter section 4.7): a plain list, a reliable list with a reaper, a stream with a consumer group.
 */
export {
  emailMessages,
  encodeMessage,
  decodeMessage,
  messageFields,
  messageFromFields,
  messageId,
  sendEmail,
  UndeliverableError,
  type EmailMessage,
} from "./messages.js";
export { queueFeatures, blockingTimeout, versionAtLeast, type QueueFeatures } from "./features.js";
export { enqueueMessage, takeMessage, type TakeOptions } from "./list.js";
export {
  registerConsumer,
  registeredConsumers,
  takeMessageReliably,
  resumeUnfinished,
  acknowledgeMessage,
  returnStuckMessages,
  returnStuckScript,
  type ReliableQueueKeys,
  type ReliableTakeOptions,
  type TakenMessage,
  type MoveCommand,
  type ReapResult,
  type ReturnedMessage,
} from "./reliable.js";
export {
  createConsumerGroup,
  publishMessage,
  readGroup,
  acknowledgeEntries,
  pendingSummary,
  pendingEntries,
  claimIdleEntries,
  recordFailedDelivery,
  deadLetterScript,
  deadLetters,
  removeConsumer,
  type StreamEntry,
  type ReadGroupOptions,
  type PendingSummary,
  type PendingEntry,
  type ClaimCommand,
  type ClaimOptions,
  type ClaimResult,
} from "./stream.js";
export { DeliveryLedger, type LedgerEvent, type QueueCounts } from "./ledger.js";

export const queueKinds = ["list", "reliable", "stream"] as const;
export type QueueKind = (typeof queueKinds)[number];
