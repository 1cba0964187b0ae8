/** Per-test PostgreSQL schemas on the machine's server (127.0.0.1:5432, or ISOLATOR_TEST_POSTGRES), dropped after. */
import { randomBytes } from "node:crypto";
import pg from "pg";

export const POSTGRES_URL = process.env.ISOLATOR_TEST_POSTGRES ?? "postgres://postgres@127.0.0.1:5432/test";
export const REDIS_URL = process.env.ISOLATOR_TEST_REDIS ?? "redis://127.0.0.1:6379";

/** A store URL naming a fresh schema (created by the store when it opens). */
export function freshSchemaUrl(): { url: string; schema: string } {
  const schema = `t_${randomBytes(6).toString("hex")}`;
  const url = new URL(POSTGRES_URL);
  url.searchParams.set("schema", schema);
  return { url: url.toString(), schema };
}

export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}
