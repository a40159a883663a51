import { UsageError } from "../errors.js";
import { redactUrl } from "../redis/redact.js";

/**
 * Where the password comes from when the URL has none, so it never needs to be in argv (where `ps` shows it to
 * every user of the machine): `--ask-pass` (a hidden prompt on the terminal), else `REDIS_PASSWORD`, else redis-cli's
 * `REDISCLI_AUTH`. A password in the URL wins, as `-a` does over REDISCLI_AUTH in redis-cli.
 */
let asked: string | undefined;

export function cliPassword(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return asked ?? (env.REDIS_PASSWORD || undefined) ?? (env.REDISCLI_AUTH || undefined);
}

/** `--ask-pass`: read the password from the terminal without echoing it. */
export async function askPassword(
  stdin: NodeJS.ReadStream = process.stdin,
  stderr: NodeJS.WriteStream = process.stderr,
): Promise<void> {
  if (stdin.isTTY !== true || typeof stdin.setRawMode !== "function")
    throw new UsageError(
      "--ask-pass needs a terminal: elsewhere put the password in REDIS_PASSWORD (or REDISCLI_AUTH)",
    );
  stderr.write("Redis password: ");
  asked = await new Promise<string>((resolve, reject) => {
    let text = "";
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding("utf8");
    const done = (err?: Error) => {
      stdin.off("data", onData);
      stdin.setRawMode(false);
      stdin.pause();
      stderr.write("\n");
      if (err) reject(err);
      else resolve(text);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === "\r" || ch === "\n") return done();
        if (ch === "\u0003") return done(new UsageError("--ask-pass: cancelled"));
        if (ch === "\u007f" || ch === "\b") text = text.slice(0, -1);
        else if (ch >= " ") text += ch;
      }
    };
    stdin.on("data", onData);
  });
}

/**
 * Hide a password given in `--url` from `ps` for the rest of the run: the process title (what ps shows as the
 * command line) is rewritten with the URL redacted. The seconds before this runs are unavoidable; REDIS_PASSWORD or
 * --ask-pass avoid the exposure entirely.
 */
export function hideUrlSecrets(argv: readonly string[]): void {
  const redacted = argv.map((arg) =>
    /^(redis|rediss|unix|redis\+unix):\/\/[^@/]*:[^@/]*@/i.test(arg) || /^--url=/.test(arg) ? redactArgUrl(arg) : arg,
  );
  if (redacted.some((arg, i) => arg !== argv[i])) {
    try {
      process.title = ["redis-patterns", ...redacted.slice(2)].join(" ");
    } catch {
      // not supported here
    }
  }
}

function redactArgUrl(arg: string): string {
  return arg.startsWith("--url=") ? `--url=${redactUrl(arg.slice(6))}` : redactUrl(arg);
}
