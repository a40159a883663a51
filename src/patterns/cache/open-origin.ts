import { assertTableName, type OriginDb, type OriginDbOptions } from "./origin-db.js";

/** Open the origin database named by `spec` (the drivers are loaded only when used). */
export async function openOriginDb(options: OriginDbOptions): Promise<OriginDb> {
  assertTableName(options.table);
  if (options.spec.kind === "sqlite") {
    const { openSqliteOrigin } = await import("./sqlite-origin.js");
    return openSqliteOrigin(options, options.spec.path, options.spec.driver);
  }
  const { openPostgresOrigin } = await import("./postgres-origin.js");
  return openPostgresOrigin(options, options.spec.url);
}
