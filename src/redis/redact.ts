/** What stands in for a secret wherever one would otherwise be shown. */
export const REDACTED = "[redacted]";

/**
 * Replace secrets in a command's argv: AUTH's password, HELLO … AUTH user pass, MIGRATE … AUTH/AUTH2,
 * CONFIG SET requirepass/masterauth, ACL SETUSER >password / #hash rules.
 */
export function redactArgv(argv: string[]): string[] {
  const name = argv[0]?.toUpperCase();
  const out = [...argv];
  switch (name) {
    case "AUTH":
      // AUTH password | AUTH username password: the last argument is the password.
      if (out.length > 1) out[out.length - 1] = REDACTED;
      break;
    case "HELLO":
    case "MIGRATE":
      // HELLO 3 AUTH user pass · MIGRATE … AUTH pass · MIGRATE … AUTH2 user pass
      for (let i = 1; i < out.length; i++) {
        const word = out[i]?.toUpperCase();
        const secretAt = word === "AUTH" ? (name === "HELLO" ? i + 2 : i + 1) : word === "AUTH2" ? i + 2 : -1;
        if (secretAt > 0 && secretAt < out.length) out[secretAt] = REDACTED;
      }
      break;
    case "CONFIG":
      if (out[1]?.toUpperCase() === "SET") {
        for (let i = 2; i + 1 < out.length; i += 2) {
          if (/^(requirepass|masterauth|masteruser)$/i.test(out[i] ?? "")) out[i + 1] = REDACTED;
        }
      }
      break;
    case "ACL":
      if (out[1]?.toUpperCase() === "SETUSER") {
        for (let i = 3; i < out.length; i++) {
          if (/^[>#<!]/.test(out[i] ?? "")) out[i] = `${out[i]![0]}${REDACTED}`;
        }
      }
      break;
  }
  return out;
}

/**
 * Replace secrets in a reply: the password hashes ACL GETUSER lists (`passwords`) and ACL LIST shows (`#<sha256>`).
 * A hash is not the password, but it can be attacked offline; the trace has no use for it.
 */
export function redactReply<T>(argv: readonly string[], reply: T): T {
  if (argv[0]?.toUpperCase() !== "ACL" || !Array.isArray(reply)) return reply;
  const sub = argv[1]?.toUpperCase();
  if (sub === "GETUSER") {
    return reply.map((value, i) =>
      i > 0 && reply[i - 1] === "passwords" && Array.isArray(value) ? value.map(() => REDACTED) : value,
    ) as T;
  }
  if (sub === "LIST") {
    return reply.map((line) =>
      typeof line === "string" ? line.replace(/#[0-9a-f]{64}/gi, `#${REDACTED}`) : line,
    ) as T;
  }
  return reply;
}

/**
 * A URL with its password replaced. When the URL does not split cleanly into user:password@host (unparsable, a "/"
 * or a space in the password, no "//"), everything up to the last "@" is hidden instead: better too much than a leak.
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) {
      parsed.password = "***";
      const shown = parsed.toString();
      if (shown.indexOf("@") === shown.lastIndexOf("@")) return shown;
    } else if (!url.includes("@")) {
      return parsed.toString();
    }
  } catch {
    if (!url.includes("@")) return url;
  }
  return url.replace(
    /^([a-z][a-z0-9+.-]*:(?:\/\/)?)?[^]*@/i,
    (_match, scheme: string | undefined) => `${scheme ?? ""}***@`,
  );
}

/** Remove a known secret from free text (error messages from libraries may echo what they were given). */
export function scrubSecret(text: string, secret: string | undefined): string {
  let out = text.replace(/(rediss?:\/\/[^/@\s:]*:)[^/@\s]*@/g, "$1***@");
  if (secret) out = out.split(secret).join(REDACTED);
  return out;
}
