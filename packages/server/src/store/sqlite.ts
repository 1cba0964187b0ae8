/**
 * The embedded run store: one SQLite file. Writes are synchronous transactions (better-sqlite3)
 * behind the asynchronous RunStore contract, so a transition is on disk before the orchestrator
 * acts on it: a run accepted is a run that survives a crash.
 */
import Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Diagnostic } from "../build/typecheck.js";
import type { Runtime } from "../orchestrator/runtimes.js";
import { TERMINAL, transitionColumns, type OutputChunk, type OutputPage, type RunEvent, type RunRecord, type RunRequest, type RunStatus, type RunStore, type Snippet, type TransitionFields } from "./run-store.js";

/** Columns a transition may write; SQLite stores booleans as 0/1. */
const COLUMNS = transitionColumns((v) => (v ? 1 : 0));

export class SqliteRunStore implements RunStore {
  readonly #db: Database.Database;
  readonly #statements;
  /** Transactions, made once (making one per call cost more than the writes). */
  readonly #transactions;
  /** Each unfinished run's last event number, once read (this process is the file's only writer). */
  readonly #lastSeq = new Map<string, number>();
  /** Prepared UPDATEs, by the set of columns a transition writes (a handful of shapes). */
  readonly #updates = new Map<string, Database.Statement>();

  constructor(directory: string) {
    mkdirSync(directory, { recursive: true });
    this.#db = new Database(join(directory, "isolator.db"));
    this.#db.pragma("journal_mode = WAL");
    this.#db.pragma("synchronous = NORMAL"); // WAL + NORMAL: a committed transaction survives a process crash
    this.#db.exec(`
      CREATE TABLE IF NOT EXISTS runs (
        id TEXT PRIMARY KEY,
        status TEXT NOT NULL,
        request TEXT,
        created_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        exit_code INTEGER,
        error TEXT,
        diagnostics TEXT NOT NULL DEFAULT '[]',
        stats TEXT NOT NULL DEFAULT '{}',
        truncated INTEGER NOT NULL DEFAULT 0,
        purged INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX IF NOT EXISTS runs_by_status ON runs(status);
      CREATE INDEX IF NOT EXISTS runs_by_created ON runs(created_at);
      CREATE TABLE IF NOT EXISTS snippets (
        id TEXT PRIMARY KEY,
        body TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE TABLE IF NOT EXISTS events (
        run_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        type TEXT NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (run_id, seq)
      ) WITHOUT ROWID;
    `);
    // Stores made before runs had a runtime: every run in them was a QuickJS run.
    const columns = this.#db.prepare("SELECT name FROM pragma_table_info('runs')").all() as { name: string }[];
    if (!columns.some((c) => c.name === "runtime")) this.#db.exec("ALTER TABLE runs ADD COLUMN runtime TEXT NOT NULL DEFAULT 'quickjs'");
    // Appends keyed for idempotence (the column came with the PostgreSQL store).
    const eventColumns = this.#db.prepare("SELECT name FROM pragma_table_info('events')").all() as { name: string }[];
    if (!eventColumns.some((c) => c.name === "batch")) this.#db.exec("ALTER TABLE events ADD COLUMN batch TEXT; CREATE INDEX events_by_batch ON events(run_id, batch) WHERE batch IS NOT NULL");
    if (!columns.some((c) => c.name === "cancel_requested")) this.#db.exec("ALTER TABLE runs ADD COLUMN cancel_requested INTEGER NOT NULL DEFAULT 0");
    this.#statements = {
      insert: this.#db.prepare("INSERT INTO runs (id, status, runtime, request, created_at) VALUES (?, 'queued', ?, ?, ?)"),
      get: this.#db.prepare("SELECT * FROM runs WHERE id = ?"),
      byStatus: this.#db.prepare("SELECT id FROM runs WHERE status = ? AND purged = 0 ORDER BY created_at"),
      writable: this.#db.prepare("SELECT 1 FROM runs WHERE id = ? AND purged = 0 AND status IN ('queued', 'building', 'running')"),
      countByStatus: this.#db.prepare("SELECT status, COUNT(*) AS n FROM runs GROUP BY status"),
      lastSeq: this.#db.prepare("SELECT COALESCE(MAX(seq), 0) AS seq FROM events WHERE run_id = ?"),
      addEvent: this.#db.prepare("INSERT INTO events (run_id, seq, type, data, batch) VALUES (?, ?, ?, ?, ?)"),
      batch: this.#db.prepare("SELECT seq, data FROM events WHERE run_id = ? AND batch = ? ORDER BY seq"),
      events: this.#db.prepare("SELECT seq, type, data FROM events WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?"),
      output: this.#db.prepare("SELECT seq, data FROM events WHERE run_id = ? AND type = 'output' AND seq > ? ORDER BY seq"),
      purge: this.#db.prepare("UPDATE runs SET request = NULL, error = NULL, diagnostics = '[]', purged = 1 WHERE id = ?"),
      requestCancel: this.#db.prepare("UPDATE runs SET cancel_requested = 1 WHERE id = ?"),
      purgeEvents: this.#db.prepare("DELETE FROM events WHERE run_id = ?"),
      clearOutput: this.#db.prepare("DELETE FROM events WHERE run_id = ? AND type = 'output'"),
      addSnippet: this.#db.prepare("INSERT INTO snippets (id, body, created_at) VALUES (?, ?, ?)"),
      getSnippet: this.#db.prepare("SELECT body, created_at FROM snippets WHERE id = ?"),
      expired: this.#db.prepare("SELECT id FROM runs WHERE purged = 0 AND finished_at IS NOT NULL AND finished_at < ?"),
    };
    this.#transactions = {
      create: this.#db.transaction((id: string, runtime: Runtime, request: string, at: string) => {
        this.#statements.insert.run(id, runtime, request, at);
        this.#appendEvent(id, "status", { status: "queued", at });
      }),
      transition: this.#db.transaction((update: Database.Statement, values: { id: string; status: RunStatus }): RunEvent | undefined => {
        if (update.run(values).changes === 0) return undefined; // not in a status it may leave
        const event = this.#appendEvent(values.id, "status", { status: values.status, at: new Date().toISOString() });
        if (TERMINAL.has(values.status)) this.#lastSeq.delete(values.id); // no event follows a terminal one
        return event;
      }),
      appendOutput: this.#db.transaction((id: string, chunks: OutputChunk[], key: string | null): RunEvent[] => {
        if (key !== null) {
          const done = this.#statements.batch.all(id, key) as { seq: number; data: string }[];
          if (done.length > 0) return done.map((e) => ({ seq: e.seq, type: "output", data: JSON.parse(e.data) as unknown }));
        }
        return this.#statements.writable.get(id) === undefined ? [] : chunks.map((chunk) => this.#appendEvent(id, "output", chunk, key));
      }),
      purge: this.#db.transaction((id: string) => {
        this.#statements.purge.run(id);
        this.#statements.purgeEvents.run(id);
      }),
    };
  }

  async create(id: string, request: RunRequest, now = new Date()): Promise<RunRecord> {
    this.#transactions.create(id, request.runtime, JSON.stringify(request), now.toISOString());
    return this.#get(id)!;
  }

  async get(id: string): Promise<RunRecord | undefined> {
    return this.#get(id);
  }

  #get(id: string): RunRecord | undefined {
    const row = this.#statements.get.get(id) as RunRow | undefined;
    return row && toRecord(row);
  }

  async transition(id: string, status: RunStatus, fields: TransitionFields, from: readonly RunStatus[]): Promise<RunEvent | undefined> {
    const set: string[] = ["status = @status"];
    const values: { id: string; status: RunStatus } & Record<string, unknown> = { id, status };
    from.forEach((s, i) => (values[`from${i}`] = s));
    for (const [key, value] of Object.entries(fields)) {
      const column = COLUMNS[key as keyof TransitionFields];
      if (!column) continue;
      set.push(`${column[0]} = @${key}`);
      values[key] = column[1](value as never);
    }
    const sql = `UPDATE runs SET ${set.join(", ")} WHERE id = @id AND status IN (${from.map((_, i) => `@from${i}`).join(", ")})`;
    let update = this.#updates.get(sql);
    if (!update) this.#updates.set(sql, (update = this.#db.prepare(sql)));
    return this.#transactions.transition(update, values);
  }

  async requestCancel(id: string): Promise<void> {
    this.#statements.requestCancel.run(id);
  }

  async appendOutput(id: string, chunks: OutputChunk[], key?: string): Promise<RunEvent[]> {
    return this.#transactions.appendOutput(id, chunks, key ?? null);
  }

  #appendEvent(id: string, type: RunEvent["type"], data: unknown, batch: string | null = null): RunEvent {
    const seq = (this.#lastSeq.get(id) ?? (this.#statements.lastSeq.get(id) as { seq: number }).seq) + 1;
    this.#statements.addEvent.run(id, seq, type, JSON.stringify(data), batch);
    this.#lastSeq.set(id, seq);
    return { seq, type, data };
  }

  async eventsAfter(id: string, seq: number, limit = -1): Promise<RunEvent[]> {
    return (this.#statements.events.all(id, seq, limit) as { seq: number; type: RunEvent["type"]; data: string }[]).map((e) => ({ seq: e.seq, type: e.type, data: JSON.parse(e.data) as unknown }));
  }

  async outputPage(id: string, after: number, maxBytes: number): Promise<OutputPage> {
    const chunks: OutputChunk[] = [];
    let bytes = 0;
    let last = after;
    for (const row of this.#statements.output.iterate(id, after) as IterableIterator<{ seq: number; data: string }>) {
      const chunk = JSON.parse(row.data) as OutputChunk;
      bytes += Buffer.byteLength(chunk.text);
      if (bytes > maxBytes && chunks.length > 0) return { chunks, lastSeq: last, complete: false }; // leaving the loop ends the statement
      chunks.push(chunk);
      last = row.seq;
    }
    return { chunks, lastSeq: last, complete: true };
  }

  async idsWithStatus(status: RunStatus): Promise<string[]> {
    return (this.#statements.byStatus.all(status) as { id: string }[]).map((r) => r.id);
  }

  async countsByStatus(): Promise<Record<string, number>> {
    return Object.fromEntries((this.#statements.countByStatus.all() as { status: string; n: number }[]).map((r) => [r.status, r.n]));
  }

  async clearOutput(id: string): Promise<void> {
    this.#statements.clearOutput.run(id);
  }

  async purge(id: string): Promise<void> {
    this.#transactions.purge(id);
    this.#lastSeq.delete(id);
  }

  async expiredBefore(cutoff: Date): Promise<string[]> {
    return (this.#statements.expired.all(cutoff.toISOString()) as { id: string }[]).map((r) => r.id);
  }

  async addSnippet(id: string, snippet: Snippet): Promise<void> {
    this.#statements.addSnippet.run(id, JSON.stringify(snippet), new Date().toISOString());
  }

  async getSnippet(id: string): Promise<(Snippet & { createdAt: string }) | undefined> {
    const row = this.#statements.getSnippet.get(id) as { body: string; created_at: string } | undefined;
    if (!row) return undefined;
    const snippet = JSON.parse(row.body) as Omit<Snippet, "runtime"> & Partial<Snippet>; // saved before runtimes: QuickJS
    return { ...snippet, runtime: snippet.runtime ?? "quickjs", createdAt: row.created_at };
  }

  async ping(): Promise<boolean> {
    return this.#db.prepare("SELECT 1 AS ok").get() !== undefined;
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }
}

interface RunRow {
  id: string;
  status: RunStatus;
  runtime: Runtime;
  request: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  attempts: number;
  exit_code: number | null;
  error: string | null;
  diagnostics: string;
  stats: string;
  truncated: number;
  purged: number;
  cancel_requested: number;
}

function toRecord(row: RunRow): RunRecord {
  const stats = JSON.parse(row.stats) as Partial<RunRecord["stats"]>;
  return {
    id: row.id,
    status: row.status,
    runtime: row.runtime,
    request: row.request ? (JSON.parse(row.request) as RunRequest) : null,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    attempts: row.attempts,
    exitCode: row.exit_code,
    error: row.error ? (JSON.parse(row.error) as RunRecord["error"]) : null,
    diagnostics: JSON.parse(row.diagnostics) as Diagnostic[],
    stats: { queuedMs: stats.queuedMs ?? null, buildMs: stats.buildMs ?? null, runMs: stats.runMs ?? null, memoryPeakBytes: stats.memoryPeakBytes ?? null },
    truncated: row.truncated === 1,
    purged: row.purged === 1,
    cancelRequested: row.cancel_requested === 1,
  };
}
