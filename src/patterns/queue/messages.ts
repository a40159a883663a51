/**
 * The messages the queue scenarios carry: the chapter's welcome e-mails (`{to: user@email, body: ...}`), with a
 * deterministic id so every run produces the same payloads, and the consumer's work on one (pure, no I/O).
 */

export interface EmailMessage {
  /** `m-0001`, `m-0002`, …: the app's own id, carried in the payload (stream entry ids are the server's). */
  id: string;
  to: string;
  body: string;
}

/** `m-0001` for 1: four digits keep the ids in order when sorted as text (up to 9,999 messages). */
export function messageId(n: number): string {
  return `m-${String(n).padStart(4, "0")}`;
}

/**
 * `count` welcome e-mails, `m-0001` to `user1@example.com` and so on. `poisonAt` (1-based) makes that one a poison
 * message: its address is not an address, so sending it fails every time, however often it is redelivered.
 */
export function emailMessages(count: number, options: { poisonAt?: number } = {}): EmailMessage[] {
  return Array.from({ length: count }, (_, i) => {
    const n = i + 1;
    const poison = options.poisonAt === n;
    return { id: messageId(n), to: poison ? "not-an-address" : `user${n}@example.com`, body: "Welcome!" };
  });
}

/** The list payload: JSON, with the id first so the trace shows which message moved where. */
export function encodeMessage(message: EmailMessage): string {
  return JSON.stringify({ id: message.id, to: message.to, body: message.body });
}

export function decodeMessage(text: string): EmailMessage {
  const value = JSON.parse(text) as Partial<EmailMessage>;
  if (typeof value.id !== "string" || typeof value.to !== "string" || typeof value.body !== "string") {
    throw new Error(`not a queue message: ${text}`);
  }
  return { id: value.id, to: value.to, body: value.body };
}

/** The stream entry's fields, as XADD takes them: `id m-0001 to user1@example.com body Welcome!`. */
export function messageFields(message: EmailMessage): string[] {
  return ["id", message.id, "to", message.to, "body", message.body];
}

/** Back from a stream entry's field map (as read by XREADGROUP / XAUTOCLAIM / XRANGE). */
export function messageFromFields(fields: Readonly<Record<string, string>>): EmailMessage {
  const { id, to, body } = fields;
  if (id === undefined || to === undefined || body === undefined)
    throw new Error(`not a queue message: ${JSON.stringify(fields)}`);
  return { id, to, body };
}

/** Sending failed in a way no retry can fix (the poison message). */
export class UndeliverableError extends Error {
  override readonly name = "UndeliverableError";
}

/**
 * The consumer's work on one message: "send" the e-mail. Pure: it checks the address and returns what would be
 * sent; the scenarios record that the work was done (that is what a duplicate delivery repeats).
 */
export function sendEmail(message: EmailMessage): { to: string; body: string } {
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(message.to)) {
    throw new UndeliverableError(`cannot send ${message.id}: "${message.to}" is not an e-mail address`);
  }
  return { to: message.to, body: message.body };
}
