/**
 * Terminal text measured in columns, not characters: ANSI colour codes take none, East Asian wide characters and
 * most emoji take two, combining marks none. Everything that fits output to the terminal's width goes through here.
 */

// eslint-disable-next-line no-control-regex
const ANSI_PATTERN = /\u001b\[[0-9;]*m|\u001b\]8;[^\u0007]*\u0007/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI_PATTERN, "");
}

function isZeroWidth(cp: number): boolean {
  return (
    (cp >= 0x0300 && cp <= 0x036f) || // combining diacritical marks
    (cp >= 0x200b && cp <= 0x200f) || // zero-width space, joiners, marks
    (cp >= 0xfe00 && cp <= 0xfe0f) || // variation selectors
    (cp >= 0x20d0 && cp <= 0x20ff) ||
    cp === 0x2060 ||
    cp < 0x20 ||
    (cp >= 0x7f && cp < 0xa0)
  );
}

function isWide(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0x303e) ||
    (cp >= 0x3041 && cp <= 0x33ff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0xa000 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1f64f) ||
    (cp >= 0x1f900 && cp <= 0x1f9ff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  );
}

function charWidth(cp: number): number {
  if (isZeroWidth(cp)) return 0;
  return isWide(cp) ? 2 : 1;
}

/**
 * `1234567` as "1,234,567", as `toLocaleString("en-US")` writes it, without its cost: the first call of
 * toLocaleString loads ICU's number formatting, 10–15 ms of a run's start-up (docs/bench.md). Integers only are done
 * here; anything else goes to toLocaleString.
 */
export function groupDigits(n: number): string {
  if (!Number.isSafeInteger(n)) return n.toLocaleString("en-US");
  return String(n).replace(/\B(?=(\d{3})+$)/g, ",");
}

/** Printable ASCII only: one column per character (most of what is measured; the loop below is not cheap). */
const PLAIN_ASCII = /^[\x20-\x7e]*$/;

/** Columns a string takes on a terminal (colour codes excluded). */
export function displayWidth(text: string): number {
  if (PLAIN_ASCII.test(text)) return text.length;
  let width = 0;
  for (const ch of stripAnsi(text)) width += charWidth(ch.codePointAt(0)!);
  return width;
}

/** The longest head of plain `text` that fits in `width` columns. */
function takeColumns(text: string, width: number): string {
  let out = "";
  let used = 0;
  for (const ch of text) {
    const w = charWidth(ch.codePointAt(0)!);
    if (used + w > width) break;
    out += ch;
    used += w;
  }
  return out;
}

/** The longest tail of plain `text` that fits in `width` columns. */
function takeColumnsFromEnd(text: string, width: number): string {
  const chars = [...text];
  let out = "";
  let used = 0;
  for (let i = chars.length - 1; i >= 0; i--) {
    const w = charWidth(chars[i]!.codePointAt(0)!);
    if (used + w > width) break;
    out = chars[i] + out;
    used += w;
  }
  return out;
}

/** Plain text cut to `width` columns, ending with `…` when something was cut. */
export function truncateEnd(text: string, width: number): string {
  if (displayWidth(text) <= width) return text;
  if (width <= 0) return "";
  return takeColumns(text, width - 1) + "…";
}

/** Plain text cut to `width` columns by leaving out its middle: `rp:1a2b…:fw:2024`. */
export function truncateMiddle(text: string, width: number): string {
  if (displayWidth(text) <= width) return text;
  if (width <= 1) return takeColumns(text, width);
  const head = Math.ceil((width - 1) / 2);
  return takeColumns(text, head) + "…" + takeColumnsFromEnd(text, width - 1 - head);
}

/**
 * A long value with its middle left out and the size of what was left out said: `abc…(+1,204 bytes)…xyz`.
 * Fits `width` columns when it can (the marker alone is about 16).
 */
export function elideMiddle(text: string, width: number): string {
  if (displayWidth(text) <= width) return text;
  const chars = [...text];
  let keep = Math.max(2, width - 18);
  for (;;) {
    const head = Math.ceil(keep / 2);
    const tail = keep - head;
    const left = chars.slice(0, head).join("");
    const right = tail > 0 ? chars.slice(chars.length - tail).join("") : "";
    const omitted = Buffer.byteLength(text) - Buffer.byteLength(left) - Buffer.byteLength(right);
    const out = `${left}…(+${groupDigits(omitted)} bytes)…${right}`;
    if (displayWidth(out) <= width || keep <= 2) return out;
    keep -= displayWidth(out) - width;
    if (keep < 2) keep = 2;
  }
}

/**
 * Prose wrapped on word boundaries to `width` columns; a word longer than a line is split. Paragraph breaks (\n)
 * are kept. Works on plain text (colour it line by line afterwards).
 */
export function wrapText(text: string, width: number): string[] {
  const w = Math.max(10, width);
  const lines: string[] = [];
  for (const paragraph of text.split("\n")) {
    let line = "";
    for (let word of paragraph.split(/\s+/).filter(Boolean)) {
      while (displayWidth(word) > w) {
        if (line) {
          lines.push(line);
          line = "";
        }
        const head = takeColumns(word, w);
        lines.push(head);
        word = word.slice(head.length);
      }
      if (line && displayWidth(line) + 1 + displayWidth(word) > w) {
        lines.push(line);
        line = word;
      } else {
        line = line ? `${line} ${word}` : word;
      }
    }
    lines.push(line);
  }
  return lines;
}

/** Plain text hard-wrapped at `width` columns, every character kept (for `--trace full`). */
export function hardWrap(text: string, width: number): string[] {
  const w = Math.max(1, width);
  const lines: string[] = [];
  let rest = text;
  while (displayWidth(rest) > w) {
    const head = takeColumns(rest, w);
    lines.push(head);
    rest = rest.slice(head.length);
  }
  lines.push(rest);
  return lines;
}

/** Pad plain-or-coloured text with spaces to `width` columns. */
export function padEnd(text: string, width: number): string {
  return text + " ".repeat(Math.max(0, width - displayWidth(text)));
}

export function padStart(text: string, width: number): string {
  return " ".repeat(Math.max(0, width - displayWidth(text))) + text;
}
