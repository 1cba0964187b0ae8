/**
 * The runs as an API node of a cluster serves them: a run is committed to PostgreSQL, then
 * enqueued (job id = run id); live events and cancels travel through Redis pub/sub; waits and
 * event streams replay from PostgreSQL. Any API node can serve any run.
 */
import { randomUUID } from "node:crypto";
import type { CheckerPool } from "../build/checker-pool.js";
import type { Diagnostic } from "../build/typecheck.js";
import type { Log, RunExecutor } from "../orchestrator/executor.js";
import { waitForTerminal } from "../orchestrator/orchestrator.js";
import { QueueFullError, type LiveEvent, type RunService } from "../orchestrator/run-service.js";
import { RuntimeUnavailableError } from "../orchestrator/runtimes.js";
import { TERMINAL, UNFINISHED, type RunRecord, type RunRequest, type RunStore } from "../store/run-store.js";
import type { ClusterEvents } from "./events.js";
import type { RunQueues } from "./queues.js";

/** Waiters also read the store this often: a pub/sub message lost in a Redis reconnect costs this much at worst. */
const WAIT_POLL_MS = 1000;

export interface ClusterRunServiceOptions {
  store: RunStore;
  queues: RunQueues;
  events: ClusterEvents;
  executor: RunExecutor;
  checkers: CheckerPool;
  /** Runs waiting cluster-wide before submissions are refused. */
  queueCapacity: number;
  log?: Log;
}

export class ClusterRunService implements RunService {
  #closed = false;

  constructor(private readonly o: ClusterRunServiceOptions) {}

  async submit(request: RunRequest): Promise<RunRecord> {
    if (this.#closed) throw new QueueFullError("the server is shutting down");
    if ((await this.o.queues.depth()) >= this.o.queueCapacity) throw new QueueFullError("the run queue is full");
    if ((await this.o.queues.workers(request.runtime)) === 0) throw new RuntimeUnavailableError(request.runtime, "no worker node of the cluster serves it");
    const run = await this.o.store.create(randomUUID(), request);
    // Committed: from here the run is not lost. If Redis does not take it now, the reconciler will.
    if (!(await this.o.queues.add(run.id, run.runtime))) this.o.log?.error({ runId: run.id }, "the queue did not take the run in time; the reconciler will enqueue it");
    return run;
  }

  check(request: RunRequest): Promise<Diagnostic[]> {
    return this.o.checkers.diagnose(request, { busy: "refuse" });
  }

  async cancel(id: string): Promise<RunRecord | undefined> {
    const run = await this.o.store.get(id);
    if (!run || TERMINAL.has(run.status)) return run;
    if (run.status === "queued" && (await this.o.executor.finish(id, "cancelled", {}, ["queued"]))) {
      await this.o.queues.remove(id, run.runtime);
    } else {
      // A worker holds it: recorded first (a retry after the worker dies honours it), then told.
      await this.o.store.requestCancel(id);
      await this.o.events.requestCancel(id);
    }
    return this.o.store.get(id);
  }

  async delete(id: string): Promise<boolean> {
    const run = await this.o.store.get(id);
    if (!run || run.purged) return false;
    // As the embedded orchestrator: ended without a word to subscribers, its worker told to stop, purged, then `gone`.
    await this.o.store.transition(id, "cancelled", { finishedAt: new Date().toISOString() }, UNFINISHED);
    if (!TERMINAL.has(run.status)) await this.o.events.requestCancel(id);
    await this.o.queues.remove(id, run.runtime);
    await this.o.store.purge(id);
    this.o.events.publish(id, { type: "gone" });
    return true;
  }

  subscribe(id: string, listener: (event: LiveEvent) => void): Promise<() => void> {
    return this.o.events.subscribe(id, listener);
  }

  waitForTerminal(id: string, ms: number, signal?: AbortSignal): Promise<RunRecord | undefined> {
    return waitForTerminal(this, this.o.store, id, ms, signal, WAIT_POLL_MS);
  }

  close(): void {
    this.#closed = true;
  }
}
