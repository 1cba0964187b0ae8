/** Prometheus metrics (prom-client): runs by runtime and status, build and run latency per runtime, queue depth, pool workers. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { FinishedRun } from "../orchestrator/executor.js";
import { RUNTIMES } from "../orchestrator/runtimes.js";

export interface MetricsSources {
  /** What this process is: the embedded server, or a cluster's API or worker node. */
  role: "embedded" | "api" | "worker";
  /** Runs waiting to start (cluster-wide on a cluster node). */
  queueDepth(): number | Promise<number>;
  /** Runs building or running on this node. */
  running(): number;
  /** Jobs active cluster-wide (a cluster node only). */
  jobsActive?(): Promise<number>;
  poolSize(): number;
  runsByStatus(): Promise<Record<string, number>>;
}

export class Metrics {
  readonly registry = new Registry();
  readonly submitted = new Counter({ name: "isolator_runs_submitted_total", help: "Runs accepted, by runtime", labelNames: ["runtime"], registers: [this.registry] });
  readonly finished = new Counter({ name: "isolator_runs_finished_total", help: "Runs that reached a terminal status, by runtime and status", labelNames: ["runtime", "status"], registers: [this.registry] });
  readonly buildSeconds = new Histogram({ name: "isolator_build_seconds", help: "Build (type-check, transpile) time, by runtime", labelNames: ["runtime"], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers: [this.registry] });
  readonly runSeconds = new Histogram({ name: "isolator_run_seconds", help: "Program run time, by runtime", labelNames: ["runtime"], buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5, 30], registers: [this.registry] });

  readonly stalled = new Counter({ name: "isolator_jobs_stalled_total", help: "Jobs this worker node took back from a worker that stopped (BullMQ stalled-job detection)", registers: [this.registry] });

  constructor(sources: MetricsSources) {
    collectDefaultMetrics({ register: this.registry });
    new Gauge({ name: "isolator_node_info", help: "This node's role: embedded, api or worker", labelNames: ["role"], registers: [this.registry] }).set({ role: sources.role }, 1);
    const jobsActive = sources.jobsActive;
    if (jobsActive) new Gauge({ name: "isolator_jobs_active", help: "Jobs active in the cluster's queues", registers: [this.registry], async collect() { this.set(await jobsActive()); } });
    for (const runtime of RUNTIMES) this.submitted.inc({ runtime }, 0); // every runtime's series exists from the start
    new Gauge({ name: "isolator_queue_depth", help: "Runs waiting to start", registers: [this.registry], async collect() { this.set(await sources.queueDepth()); } });
    new Gauge({ name: "isolator_runs_active", help: "Runs building or running on this node", registers: [this.registry], collect() { this.set(sources.running()); } });
    new Gauge({ name: "isolator_pool_workers", help: "Worker threads", registers: [this.registry], collect() { this.set(sources.poolSize()); } });
    new Gauge({
      name: "isolator_runs",
      help: "Runs in the store, by status",
      labelNames: ["status"],
      registers: [this.registry],
      async collect() {
        for (const [status, n] of Object.entries(await sources.runsByStatus())) this.set({ status }, n);
      },
    });
  }

  /** Counts a run this node ended, with its build and run times. */
  finishedRun(run: FinishedRun): void {
    const labels = { runtime: run.runtime };
    this.finished.inc({ ...labels, status: run.status });
    if (run.stats.buildMs !== null) this.buildSeconds.observe(labels, run.stats.buildMs / 1000);
    if (run.stats.runMs !== null) this.runSeconds.observe(labels, run.stats.runMs / 1000);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
