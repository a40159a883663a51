import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, connect, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../src/redis/throwaway-server.js";
import { useRedisServer } from "../helpers/redis.js";
import { lines, parseJsonOutput, runCli, waitFor, type CliResult } from "../helpers/cli.js";

/** A quick run: one algorithm, no trace. */
const QUICK = ["ratelimit", "--algo", "fixed-window", "--trace", "off"];

/** A runtime error is shown as exactly one line on stderr, prefixed with the tool's name, and nothing on stdout. */
function expectOneErrorLine(result: CliResult, pattern: RegExp): void {
  const errorLines = lines(result.stderr);
  expect(errorLines, result.stderr).toHaveLength(1);
  expect(errorLines[0]).toMatch(/^redis-patterns: /);
  expect(errorLines[0]).toMatch(pattern);
}

describe("connection failures exit 3 with one line on stderr", () => {
  it("a refused port", async () => {
    const port = await freePort();
    const result = await runCli([...QUICK, "--url", `redis://127.0.0.1:${port}`]);
    expect(result.code).toBe(3);
    expect(result.stdout).toBe("");
    expectOneErrorLine(result, new RegExp(`cannot connect to redis://127\\.0\\.0\\.1:${port}: connection refused`));
  });

  it("an unknown host", async () => {
    const result = await runCli([...QUICK, "--url", "redis://nosuchhost.invalid"]);
    expect(result.code).toBe(3);
    expect(result.stdout).toBe("");
    expectOneErrorLine(result, /nosuchhost\.invalid.*unknown host/);
  });

  describe("a server that accepts and never answers", () => {
    let server: Server;
    let port: number;
    const sockets = new Set<Socket>();
    beforeAll(async () => {
      server = createServer((socket) => {
        sockets.add(socket);
        socket.on("error", () => {});
        socket.on("close", () => sockets.delete(socket));
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const address = server.address();
      port = typeof address === "object" && address ? address.port : 0;
    });
    afterAll(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    it("times out after --timeout 500ms", async () => {
      const result = await runCli([...QUICK, "--url", `redis://127.0.0.1:${port}`, "--timeout", "500ms"]);
      expect(result.code).toBe(3);
      expect(result.stdout).toBe("");
      expectOneErrorLine(result, /timed out/);
      expect(result.ms).toBeLessThan(10_000);
    });

    it("with --json, stdout is still one JSON document with ok:false and exit code 3", async () => {
      const result = await runCli([...QUICK, "--url", `redis://127.0.0.1:${port}`, "--timeout", "500ms", "--json"]);
      expect(result.code).toBe(3);
      const doc = parseJsonOutput<{ schemaVersion: number; ok: boolean; error: { message: string; exitCode: number } }>(
        result,
      );
      expect(doc.schemaVersion).toBe(1);
      expect(doc.ok).toBe(false);
      expect(doc.error.exitCode).toBe(3);
      expect(doc.error.message).toMatch(/timed out/);
      expectOneErrorLine(result, /timed out/);
      expect(result.ms).toBeLessThan(10_000);
    });
  });

  it("with --json, a refused port is one JSON document with ok:false and exit code 3", async () => {
    const port = await freePort();
    const result = await runCli([...QUICK, "--json", "--url", `redis://127.0.0.1:${port}`]);
    expect(result.code).toBe(3);
    const doc = parseJsonOutput<{ ok: boolean; error: { message: string; exitCode: number } }>(result);
    expect(doc.ok).toBe(false);
    expect(doc.error).toEqual({ message: expect.stringMatching(/connection refused/), exitCode: 3 });
  });

  describe("rediss:// against a plain server", () => {
    const redis = useRedisServer();
    it("fails with exit 3 and a hint that the server may not speak TLS", async () => {
      const result = await runCli([
        ...QUICK,
        "--url",
        `rediss://127.0.0.1:${redis().port}`,
        "--timeout",
        "1s",
        "--insecure",
      ]);
      expect(result.code).toBe(3);
      expectOneErrorLine(result, /rediss:\/\/127\.0\.0\.1:\d+.*TLS/);
      expect(result.ms).toBeLessThan(10_000);
    });
  });
});

/** A self-signed CA and a server certificate for localhost and 127.0.0.1, made with openssl in `dir`. */
function makeCertificates(dir: string): void {
  const openssl = (...args: string[]) => {
    const res = spawnSync("openssl", args, { cwd: dir, encoding: "utf8" });
    if (res.error || res.status !== 0)
      throw new Error(`openssl ${args.join(" ")} failed: ${res.error?.message ?? res.stderr}`);
  };
  openssl(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "1",
    "-subj",
    "/CN=redis-patterns test CA",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  );
  openssl(
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "server.key",
    "-out",
    "server.csr",
    "-subj",
    "/CN=localhost",
  );
  writeFileSync(join(dir, "server.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
  openssl(
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "server.pem",
    "-days",
    "1",
    "-extfile",
    "server.ext",
  );
}

/** A redis-server that speaks only TLS (`--port 0`), on a free port. */
async function startTlsServer(dir: string): Promise<{ port: number; child: ChildProcess; output: () => string }> {
  const port = await freePort();
  const child = spawn(
    "redis-server",
    [
      "--port",
      "0",
      "--tls-port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--tls-cert-file",
      join(dir, "server.pem"),
      "--tls-key-file",
      join(dir, "server.key"),
      "--tls-ca-cert-file",
      join(dir, "ca.pem"),
      "--tls-auth-clients",
      "no",
      "--save",
      "",
      "--appendonly",
      "no",
      "--dir",
      dir,
      "--daemonize",
      "no",
      "--logfile",
      "",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
  const accepts = () =>
    new Promise<boolean>((resolve) => {
      const socket = connect({ host: "127.0.0.1", port });
      socket.once("connect", () => (socket.destroy(), resolve(true)));
      socket.once("error", () => resolve(false));
    });
  await waitFor(`the TLS redis-server on port ${port}`, async () => {
    if (child.exitCode !== null) throw new Error(`redis-server with TLS exited: ${output}`);
    return accepts();
  });
  return { port, child, output: () => output };
}

describe("TLS", () => {
  let dir: string;
  let tls: Awaited<ReturnType<typeof startTlsServer>> | undefined;
  let url: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "redis-patterns-tls-"));
    makeCertificates(dir);
    tls = await startTlsServer(dir);
    url = `rediss://127.0.0.1:${tls.port}`;
  }, 30_000);

  afterAll(async () => {
    if (tls && tls.child.exitCode === null && tls.child.signalCode === null) {
      const exited = new Promise((resolve) => tls!.child.once("exit", resolve));
      tls.child.kill("SIGTERM");
      await exited;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("without --tls-ca the self-signed certificate fails verification: exit 3 with a TLS message", async () => {
    const result = await runCli([...QUICK, "--url", url]);
    expect(result.code).toBe(3);
    expect(result.stdout).toBe("");
    expectOneErrorLine(result, /TLS handshake with rediss:\/\/127\.0\.0\.1:\d+ failed: .*certificate.*--tls-ca/);
  });

  it("with --tls-ca ca.pem the run succeeds", async () => {
    const result = await runCli([...QUICK, "--url", url, "--tls-ca", join(dir, "ca.pem"), "--json"]);
    expect(result.code, result.stderr).toBe(0);
    const doc = parseJsonOutput<{ ok: boolean; target: { url: string } }>(result);
    expect(doc.ok).toBe(true);
    expect(doc.target.url).toBe(url);
  });

  it("with --tls-ca and a host name, the name is verified against the certificate", async () => {
    const result = await runCli([
      ...QUICK,
      "--url",
      `rediss://localhost:${tls!.port}`,
      "--tls-ca",
      join(dir, "ca.pem"),
    ]);
    expect(result.code, result.stderr).toBe(0);
  });

  it("with --insecure the run succeeds without verification", async () => {
    const result = await runCli([...QUICK, "--url", url, "--insecure"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/✓ all checks passed/);
  });

  it("a --tls-ca file that does not exist is a usage error", async () => {
    const result = await runCli([...QUICK, "--url", url, "--tls-ca", join(dir, "missing.pem")]);
    expect(result.code).toBe(2);
    expectOneErrorLine(result, /cannot read --tls-ca file .*missing\.pem/);
  });

  it("plain redis:// to the TLS port fails with exit 3", async () => {
    const result = await runCli([...QUICK, "--url", `redis://127.0.0.1:${tls!.port}`, "--timeout", "2s"]);
    expect(result.code).toBe(3);
    expect(result.stdout).toBe("");
    expectOneErrorLine(result, /127\.0\.0\.1:\d+/);
    expect(result.ms).toBeLessThan(10_000);
  });
});
