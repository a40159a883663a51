import { UsageError } from "../../errors.js";
import { UserFileError, type UserFileRole } from "../../patterns/shared/user-file.js";

/** The option that hands in each kind of user file (the patterns name roles; the CLI names its flags). */
const FLAGS: Record<UserFileRole, string> = {
  script: "--script",
  adapter: "--adapter",
  acquire: "--acquire-script",
  release: "--release-script",
  extend: "--extend-script",
};

/** Run `load`; a UserFileError comes out as a usage error that names the flags ("cannot read --script x.lua: …"). */
export async function withFlagNames<T>(load: () => T | Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (err) {
    if (err instanceof UserFileError) throw new UsageError(err.phrase((role) => FLAGS[role]));
    throw err;
  }
}
