/** The public shape of a run, as every route answers it. */
import { outputSegments } from "isolator";
import type { RunRecord, RunStore } from "../store/run-store.js";
import { goneError } from "./http-error.js";

export function links(id: string) {
  return { self: `/api/runs/${id}`, events: `/api/runs/${id}/events`, cancel: `/api/runs/${id}/cancel` };
}

/** The run's view; a purged run has none (410). */
export async function view(run: RunRecord, store: RunStore) {
  if (run.purged || !run.request) throw goneError(run.id);
  const { language } = run.request;
  const output = await store.output(run.id);
  const segments = output.flatMap(outputSegments);
  const text = (stream: "stdout" | "stderr") =>
    segments
      .filter((s) => s.stream === stream)
      .map((s) => s.text)
      .join("");
  return {
    id: run.id,
    status: run.status,
    createdAt: run.createdAt,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    language,
    runtime: run.runtime,
    attempts: run.attempts,
    diagnostics: run.diagnostics,
    stdout: text("stdout"),
    stderr: text("stderr"),
    output,
    exitCode: run.exitCode,
    error: run.error,
    stats: run.stats,
    truncated: run.truncated,
    links: links(run.id),
  };
}
