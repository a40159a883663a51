import { describe, expect, it } from "vitest";
import { KeySpace, hashTagOf, newRunPrefix, tag, validatePrefix } from "../../src/redis/keys.js";

describe("KeySpace", () => {
  it("names keys under the prefix and remembers each once, in order", () => {
    const keys = new KeySpace("rp:abc");
    expect(keys.key("ratelimit", tag("alice"), "fw", 1)).toBe("rp:abc:ratelimit:{alice}:fw:1");
    const mark = keys.mark();
    keys.key("ratelimit", tag("bob"), "tb");
    keys.key("ratelimit", tag("alice"), "fw", 1);
    expect(keys.created()).toEqual(["rp:abc:ratelimit:{alice}:fw:1", "rp:abc:ratelimit:{bob}:tb"]);
    expect(keys.createdSince(mark)).toEqual(["rp:abc:ratelimit:{bob}:tb"]);
  });

  it("finds the hash tag Redis Cluster hashes", () => {
    expect(hashTagOf("rp:1:ratelimit:{alice}:fw")).toBe("alice");
    expect(hashTagOf("plain")).toBe("plain");
    expect(hashTagOf("a{}b{c}")).toBe("a{}b{c}");
  });

  it("makes fresh prefixes and refuses dangerous ones", () => {
    expect(newRunPrefix()).toMatch(/^rp:[0-9a-f]{8}$/);
    expect(newRunPrefix()).not.toBe(newRunPrefix());
    expect(validatePrefix("rp:mine:")).toBe("rp:mine");
    for (const bad of ["", "a", "a*", "rp:[x]", "has space", "rp:{x}", "a?b"])
      expect(() => validatePrefix(bad)).toThrow();
  });
});
