/**
 * The shared run store: PostgreSQL, written by every API and worker node. Each write is one
 * statement (data-modifying CTEs), so it is one transaction and one round trip: a transition
 * updates the run only if it is in an expected status and appends its status event in the same
 * statement; event numbers come from the run's row (`last_seq`), whose lock orders concurrent
 * writers of one run. Migrations are applied at start, under an advisory lock, so nodes starting
 * together apply each once.
 *
 * The URL may name a schema: postgres://host/db?schema=isolator (default: public).
 */
import pg from "pg";
import type { Diagnostic } from "../build/typecheck.js";
import type { Runtime } from "../orchestrator/runtimes.js";
import { StoreUnavailableError, transitionColumns, type OutputChunk, type OutputPage, type RunEvent, type RunRecord, type RunRequest, type RunStatus, type RunStore, type Snippet, type TransitionFields } from "./run-store.js";

/** Schema changes in order; each applied once, in a transaction, its index recorded. */
const MIGRATIONS = [
  `CREATE TABLE runs (
     id text PRIMARY KEY,
     status text NOT NULL,
     runtime text NOT NULL,
     request json,
     created_at timestamptz NOT NULL,
     started_at timestamptz,
     finished_at timestamptz,
     attempts integer NOT NULL DEFAULT 0,
     exit_code integer,
     error json,
     diagnostics json NOT NULL DEFAULT '[]',
     stats json NOT NULL DEFAULT '{}',
     truncated boolean NOT NULL DEFAULT false,
     purged boolean NOT NULL DEFAULT false,
     cancel_requested boolean NOT NULL DEFAULT false,
     last_seq integer NOT NULL DEFAULT 0
   );
   CREATE INDEX runs_unfinished ON runs (status, created_at) WHERE status IN ('queued', 'building', 'running');
   CREATE INDEX runs_expiring ON runs (finished_at) WHERE NOT purged AND finished_at IS NOT NULL;
   CREATE TABLE events (
     run_id text NOT NULL,
     seq integer NOT NULL,
     type text NOT NULL,
     data json NOT NULL,
     batch text,
     PRIMARY KEY (run_id, seq)
   );
   CREATE INDEX events_by_batch ON events (run_id, batch) WHERE batch IS NOT NULL;
   CREATE TABLE snippets (
     id text PRIMARY KEY,
     body json NOT NULL,
     created_at timestamptz NOT NULL
   );`,
];

/** Columns a transition may write, with how each value is sent. */
const COLUMNS = transitionColumns((v) => v);

export class PostgresRunStore implements RunStore {
  readonly #pool: pg.Pool;
  readonly schema: string;

  private constructor(pool: pg.Pool, schema: string) {
    this.#pool = pool;
    this.schema = schema;
  }

  /** Connects, creates the schema if needed and applies pending migrations. */
  static async open(url: string, options: { poolSize?: number } = {}): Promise<PostgresRunStore> {
    const parsed = new URL(url);
    const schema = parsed.searchParams.get("schema") ?? "public";
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`--store: schema must be a lower-case SQL name, got '${schema}'`);
    parsed.searchParams.delete("schema");
    const pool = new pg.Pool({
      connectionString: parsed.toString(),
      max: options.poolSize ?? 20,
      options: `-c search_path=${schema}`,
      connectionTimeoutMillis: 10_000, // waiting for a free connection under load is not an outage
      idleTimeoutMillis: 30_000,
    });
    pool.on("error", () => undefined); // an idle client lost its server: the next query reconnects, or fails as StoreUnavailableError
    const store = new PostgresRunStore(pool, schema);
    try {
      await store.#migrate();
    } catch (e) {
      await pool.end();
      throw e;
    }
    return store;
  }

  async #migrate(): Promise<void> {
    const client = await this.#pool.connect();
    try {
      await client.query("BEGIN");
      await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`isolator-migrate:${this.schema}`]);
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${this.schema}`);
      await client.query("CREATE TABLE IF NOT EXISTS migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())");
      const applied = new Set((await client.query<{ version: number }>("SELECT version FROM migrations")).rows.map((r) => r.version));
      for (const [version, sql] of MIGRATIONS.entries()) {
        if (applied.has(version)) continue;
        await client.query(sql);
        await client.query("INSERT INTO migrations (version) VALUES ($1)", [version]);
      }
      await client.query("COMMIT");
    } catch (e) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw e;
    } finally {
      client.release();
    }
  }

  async #query<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<pg.QueryResult<R>> {
    try {
      return await this.#pool.query<R>(text, values);
    } catch (e) {
      throw unavailable(e) ? new StoreUnavailableError(`the store does not answer: ${(e as Error).message}`, { cause: e }) : e;
    }
  }

  async create(id: string, request: RunRequest, now = new Date()): Promise<RunRecord> {
    const at = now.toISOString();
    await this.#query(
      `WITH run AS (INSERT INTO runs (id, status, runtime, request, created_at, last_seq) VALUES ($1, 'queued', $2, $3, $4, 1) RETURNING id)
       INSERT INTO events (run_id, seq, type, data) SELECT id, 1, 'status', $5 FROM run`,
      [id, request.runtime, JSON.stringify(request), at, JSON.stringify({ status: "queued", at })],
    );
    return {
      id,
      status: "queued",
      runtime: request.runtime,
      request,
      createdAt: at,
      startedAt: null,
      finishedAt: null,
      attempts: 0,
      exitCode: null,
      error: null,
      diagnostics: [],
      stats: { queuedMs: null, buildMs: null, runMs: null, memoryPeakBytes: null },
      truncated: false,
      purged: false,
      cancelRequested: false,
    };
  }

  async get(id: string): Promise<RunRecord | undefined> {
    const row = (await this.#query<RunRow>("SELECT * FROM runs WHERE id = $1", [id])).rows[0];
    return row && toRecord(row);
  }

  async transition(id: string, status: RunStatus, fields: TransitionFields, from: readonly RunStatus[]): Promise<RunEvent | undefined> {
    const data = { status, at: new Date().toISOString() };
    const values: unknown[] = [id, status, [...from], JSON.stringify(data)];
    const set = ["status = $2", "last_seq = last_seq + 1"];
    for (const [key, value] of Object.entries(fields)) {
      const column = COLUMNS[key as keyof TransitionFields];
      if (!column) continue;
      values.push(column[1](value as never));
      set.push(`${column[0]} = $${values.length}`);
    }
    const row = (
      await this.#query<{ seq: number }>(
        `WITH run AS (UPDATE runs SET ${set.join(", ")} WHERE id = $1 AND status = ANY($3::text[]) RETURNING last_seq)
         INSERT INTO events (run_id, seq, type, data) SELECT $1, last_seq, 'status', $4 FROM run RETURNING seq`,
        values,
      )
    ).rows[0];
    return row && { seq: row.seq, type: "status", data };
  }

  async requestCancel(id: string): Promise<void> {
    await this.#query("UPDATE runs SET cancel_requested = true WHERE id = $1", [id]);
  }

  async appendOutput(id: string, chunks: OutputChunk[], key?: string): Promise<RunEvent[]> {
    if (chunks.length === 0) return [];
    const rows = (
      await this.#query<{ seq: number }>(
        `WITH run AS (
           UPDATE runs SET last_seq = last_seq + $2
           WHERE id = $1 AND NOT purged AND status IN ('queued', 'building', 'running')
             AND ($4::text IS NULL OR NOT EXISTS (SELECT 1 FROM events WHERE run_id = $1 AND batch = $4))
           RETURNING last_seq)
         INSERT INTO events (run_id, seq, type, data, batch)
         SELECT $1, run.last_seq - $2 + chunk.n, 'output', chunk.data, $4 FROM run, unnest($3::json[]) WITH ORDINALITY AS chunk(data, n)
         RETURNING seq`,
        [id, chunks.length, chunks.map((c) => JSON.stringify(c)), key ?? null],
      )
    ).rows;
    if (rows.length === 0) {
      if (key === undefined) return []; // no such run, or no longer writable
      // Written before (an answer lost on the way back), or not writable.
      return (await this.#query<RunEvent>("SELECT seq, type, data FROM events WHERE run_id = $1 AND batch = $2 ORDER BY seq", [id, key])).rows;
    }
    const first = Math.min(...rows.map((r) => r.seq));
    return chunks.map((data, i) => ({ seq: first + i, type: "output", data }));
  }

  async eventsAfter(id: string, seq: number, limit?: number): Promise<RunEvent[]> {
    return (await this.#query<RunEvent>("SELECT seq, type, data FROM events WHERE run_id = $1 AND seq > $2 ORDER BY seq LIMIT $3", [id, seq, limit ?? null])).rows;
  }

  async outputPage(id: string, after: number, maxBytes: number): Promise<OutputPage> {
    // Chunks while their running total of text stays within maxBytes (the first one always).
    const rows = (
      await this.#query<{ seq: number; data: OutputChunk }>(
        `SELECT seq, data FROM (
           SELECT seq, data, SUM(octet_length(data->>'text')) OVER (ORDER BY seq) AS total, ROW_NUMBER() OVER (ORDER BY seq) AS n
           FROM events WHERE run_id = $1 AND type = 'output' AND seq > $2
         ) page WHERE total <= $3 OR n = 1 ORDER BY seq`,
        [id, after, maxBytes],
      )
    ).rows;
    const lastSeq = rows.at(-1)?.seq ?? after;
    const more = (await this.#query<{ more: boolean }>("SELECT EXISTS (SELECT 1 FROM events WHERE run_id = $1 AND type = 'output' AND seq > $2) AS more", [id, lastSeq])).rows[0]?.more ?? false;
    return { chunks: rows.map((r) => r.data), lastSeq, complete: !more };
  }

  async idsWithStatus(status: RunStatus): Promise<string[]> {
    return (await this.#query<{ id: string }>("SELECT id FROM runs WHERE status = $1 AND NOT purged ORDER BY created_at", [status])).rows.map((r) => r.id);
  }

  /** Unfinished runs created more than `ageMs` ago, oldest first, at most `limit` (the reconciler's sweep). */
  async unfinishedOlderThan(ageMs: number, limit: number): Promise<{ id: string; status: RunStatus; runtime: Runtime }[]> {
    return (
      await this.#query<{ id: string; status: RunStatus; runtime: Runtime }>(
        "SELECT id, status, runtime FROM runs WHERE status IN ('queued', 'building', 'running') AND NOT purged AND created_at < now() - make_interval(secs => $1) ORDER BY created_at LIMIT $2",
        [ageMs / 1000, limit],
      )
    ).rows;
  }

  async countsByStatus(): Promise<Record<string, number>> {
    const rows = (await this.#query<{ status: string; n: string }>("SELECT status, COUNT(*) AS n FROM runs GROUP BY status")).rows;
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  }

  async clearOutput(id: string): Promise<void> {
    await this.#query("DELETE FROM events WHERE run_id = $1 AND type = 'output'", [id]);
  }

  async purge(id: string): Promise<void> {
    await this.#query(
      `WITH run AS (UPDATE runs SET request = NULL, error = NULL, diagnostics = '[]', purged = true WHERE id = $1 RETURNING id)
       DELETE FROM events WHERE run_id IN (SELECT id FROM run)`,
      [id],
    );
  }

  async expiredBefore(cutoff: Date): Promise<string[]> {
    return (await this.#query<{ id: string }>("SELECT id FROM runs WHERE NOT purged AND finished_at IS NOT NULL AND finished_at < $1", [cutoff.toISOString()])).rows.map((r) => r.id);
  }

  async addSnippet(id: string, snippet: Snippet): Promise<void> {
    await this.#query("INSERT INTO snippets (id, body, created_at) VALUES ($1, $2, $3)", [id, JSON.stringify(snippet), new Date().toISOString()]);
  }

  async getSnippet(id: string): Promise<(Snippet & { createdAt: string }) | undefined> {
    const row = (await this.#query<{ body: Snippet; created_at: Date }>("SELECT body, created_at FROM snippets WHERE id = $1", [id])).rows[0];
    return row && { ...row.body, createdAt: row.created_at.toISOString() };
  }

  async ping(): Promise<boolean> {
    try {
      await this.#query("SELECT 1");
      return true;
    } catch {
      return false;
    }
  }

  /** Drops the schema and everything in it (tests' cleanup), then closes. */
  async dropSchema(): Promise<void> {
    await this.#query(`DROP SCHEMA IF EXISTS ${this.schema} CASCADE`);
    await this.close();
  }

  async close(): Promise<void> {
    if (!this.#pool.ended) await this.#pool.end();
  }
}

/** Errors of reaching the server (network, server shut down or starting), not of the statement. */
function unavailable(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  if (typeof code !== "string") return e instanceof Error && /timeout|Connection terminated|connect/i.test(e.message);
  return /^(08|57P)/.test(code) || /^E[A-Z]+$/.test(code); // SQLSTATE connection classes; Node socket errors (ECONNREFUSED, ...)
}

interface RunRow {
  id: string;
  status: RunStatus;
  runtime: Runtime;
  request: RunRequest | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  attempts: number;
  exit_code: number | null;
  error: RunRecord["error"];
  diagnostics: Diagnostic[];
  stats: Partial<RunRecord["stats"]>;
  truncated: boolean;
  purged: boolean;
  cancel_requested: boolean;
}

function toRecord(row: RunRow): RunRecord {
  const stats = row.stats;
  return {
    id: row.id,
    status: row.status,
    runtime: row.runtime,
    request: row.request as RunRequest,
    createdAt: row.created_at.toISOString(),
    startedAt: row.started_at?.toISOString() ?? null,
    finishedAt: row.finished_at?.toISOString() ?? null,
    attempts: row.attempts,
    exitCode: row.exit_code,
    error: row.error,
    diagnostics: row.diagnostics,
    stats: { queuedMs: stats.queuedMs ?? null, buildMs: stats.buildMs ?? null, runMs: stats.runMs ?? null, memoryPeakBytes: stats.memoryPeakBytes ?? null },
    truncated: row.truncated,
    purged: row.purged,
    cancelRequested: row.cancel_requested,
  };
}
