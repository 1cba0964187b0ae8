/**
 * The public shape of a run, as every route answers it. One answer holds at most OUTPUT_PAGE_BYTES
 * of output text (stdout and stderr are that part's text too); the rest is paged through
 * `links.nextOutput`, so no response — and no slow reader holding one — is as large as the output.
 */
import { outputSegments } from "isolator";
import type { OutputChunk, OutputPage, RunRecord, RunStore } from "../store/run-store.js";
import { goneError } from "./http-error.js";

export const OUTPUT_PAGE_BYTES = 256 * 1024;

export function links(id: string) {
  return { self: `/api/runs/${id}`, events: `/api/runs/${id}/events`, cancel: `/api/runs/${id}/cancel` };
}

const outputLink = (id: string, page: OutputPage) => (page.complete ? {} : { nextOutput: `/api/runs/${id}/output?after=${page.lastSeq}` });

/** The run's view, with the first page of its output; a purged run has none (410). */
export async function view(run: RunRecord, store: RunStore) {
  if (run.purged || !run.request) throw goneError(run.id);
  const { language } = run.request;
  const page = await store.outputPage(run.id, 0, OUTPUT_PAGE_BYTES);
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
    stdout: streamText(page.chunks, "stdout"),
    stderr: streamText(page.chunks, "stderr"),
    output: page.chunks,
    outputComplete: page.complete,
    exitCode: run.exitCode,
    error: run.error,
    stats: run.stats,
    truncated: run.truncated,
    links: { ...links(run.id), ...outputLink(run.id, page) },
  };
}

/** A page of the run's output after event `after` (GET /api/runs/:id/output). */
export async function outputView(run: RunRecord, store: RunStore, after: number) {
  if (run.purged) throw goneError(run.id);
  const page = await store.outputPage(run.id, after, OUTPUT_PAGE_BYTES);
  return { id: run.id, output: page.chunks, outputComplete: page.complete, links: { run: `/api/runs/${run.id}`, ...outputLink(run.id, page) } };
}

function streamText(chunks: OutputChunk[], stream: "stdout" | "stderr"): string {
  return chunks
    .flatMap(outputSegments)
    .filter((s) => s.stream === stream)
    .map((s) => s.text)
    .join("");
}
