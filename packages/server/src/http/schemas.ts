/** JSON Schemas of the HTTP API: request validation on every route, and the OpenAPI document. */

export const errorSchema = {
  type: "object",
  required: ["error"],
  properties: {
    error: {
      type: "object",
      required: ["code", "message"],
      properties: { code: { type: "string" }, message: { type: "string" }, details: {} },
    },
  },
} as const;

export const createRunBody = {
  type: "object",
  additionalProperties: false,
  properties: {
    language: { type: "string", enum: ["typescript", "javascript"] },
    runtime: {
      type: "string",
      enum: ["quickjs", "node"],
      default: "quickjs",
      description: "quickjs: the WebAssembly sandbox (fast start, no Node APIs); node: real Node.js in a throwaway container (if the server enables it, else 503 runtime_unavailable)",
    },
    source: { type: "string", description: "One file's source; or give `files` and `entry`" },
    files: { type: "object", additionalProperties: { type: "string" }, description: "File name to source (at most the server's file limit, 32 by default)" },
    entry: { type: "string", minLength: 1, maxLength: 200 },
    stdin: { type: "string", maxLength: 1048576 },
    args: { type: "array", items: { type: "string", maxLength: 4096 }, maxItems: 64 },
    typecheck: { type: "boolean", default: true },
    limits: {
      type: "object",
      additionalProperties: false,
      properties: {
        timeMs: { type: "integer", minimum: 1 },
        memoryMb: { type: "integer", minimum: 16 },
        outputKb: { type: "integer", minimum: 1 },
      },
    },
  },
} as const;

export const checkBody = {
  type: "object",
  additionalProperties: false,
  properties: {
    language: createRunBody.properties.language,
    runtime: createRunBody.properties.runtime,
    source: createRunBody.properties.source,
    files: createRunBody.properties.files,
    entry: createRunBody.properties.entry,
  },
} as const;

export const snippetBody = {
  type: "object",
  additionalProperties: false,
  required: ["files"],
  properties: {
    language: createRunBody.properties.language,
    runtime: createRunBody.properties.runtime,
    files: createRunBody.properties.files,
    entry: createRunBody.properties.entry,
    stdin: createRunBody.properties.stdin,
    args: createRunBody.properties.args,
  },
} as const;

export const snippetSchema = {
  type: "object",
  properties: {
    id: { type: "string" },
    language: { type: "string" },
    runtime: { type: "string", enum: ["quickjs", "node"] },
    files: { type: "object", additionalProperties: { type: "string" } },
    entry: { type: "string" },
    stdin: { type: "string" },
    args: { type: "array", items: { type: "string" } },
    createdAt: { type: "string" },
    links: { type: "object", properties: { self: { type: "string" }, page: { type: "string" } } },
  },
} as const;

export const waitQuery = {
  type: "object",
  additionalProperties: false,
  properties: { wait: { type: "string", pattern: "^\\d+(\\.\\d+)?$", description: "Seconds to wait for the run to finish (capped)" } },
} as const;

export const idParams = {
  type: "object",
  required: ["id"],
  properties: { id: { type: "string", minLength: 1, maxLength: 64 } },
} as const;

const diagnostic = {
  type: "object",
  properties: {
    file: { type: "string" },
    line: { type: "integer" },
    column: { type: "integer" },
    endLine: { type: "integer" },
    endColumn: { type: "integer" },
    code: { type: "integer" },
    category: { type: "string", enum: ["error", "warning", "suggestion", "message"] },
    message: { type: "string" },
  },
} as const;

const chunk = {
  type: "object",
  description: "Output written close together. `stream` is the first segment's; each offset in `switches` (UTF-16 positions in `text`, increasing) starts a segment of the other stream.",
  properties: {
    stream: { type: "string", enum: ["stdout", "stderr"] },
    text: { type: "string" },
    timeMs: { type: "number" },
    switches: { type: "array", items: { type: "integer" } },
  },
} as const;

export const runStatuses = ["queued", "building", "running", "succeeded", "failed", "compile_error", "timed_out", "memory_exceeded", "output_exceeded", "cancelled", "internal_error"];

export const runSchema = {
  type: "object",
  properties: {
    id: { type: "string" },
    status: { type: "string", enum: runStatuses },
    createdAt: { type: "string" },
    startedAt: { type: ["string", "null"] },
    finishedAt: { type: ["string", "null"] },
    language: { type: "string" },
    runtime: { type: "string", enum: ["quickjs", "node"] },
    attempts: { type: "integer" },
    diagnostics: { type: "array", items: diagnostic },
    stdout: { type: "string" },
    stderr: { type: "string" },
    output: { type: "array", items: chunk },
    exitCode: { type: ["integer", "null"] },
    error: { type: ["object", "null"], properties: { name: { type: "string" }, message: { type: "string" }, stack: { type: "string" } } },
    stats: {
      type: "object",
      properties: {
        queuedMs: { type: ["number", "null"] },
        buildMs: { type: ["number", "null"] },
        runMs: { type: ["number", "null"] },
        memoryPeakBytes: { type: ["number", "null"] },
      },
    },
    truncated: { type: "boolean" },
    outputComplete: { type: "boolean", description: "false: `output` (and stdout, stderr) hold the first 256 KiB; the rest is at links.nextOutput" },
    links: {
      type: "object",
      properties: { self: { type: "string" }, events: { type: "string" }, cancel: { type: "string" }, nextOutput: { type: "string", description: "the next page of output, when `outputComplete` is false" } },
    },
  },
} as const;

export const outputQuery = {
  type: "object",
  additionalProperties: false,
  properties: { after: { type: "string", pattern: "^\\d{1,15}$", description: "The event number the previous page ended at (from links.nextOutput)" } },
} as const;

export const outputPageSchema = {
  type: "object",
  properties: {
    id: { type: "string" },
    output: { type: "array", items: chunk },
    outputComplete: { type: "boolean" },
    links: { type: "object", properties: { run: { type: "string" }, nextOutput: { type: "string" } } },
  },
} as const;

export const acceptedSchema = {
  type: "object",
  properties: {
    id: { type: "string" },
    status: { type: "string", enum: runStatuses },
    links: { type: "object", properties: { self: { type: "string" }, events: { type: "string" }, cancel: { type: "string" } } },
  },
} as const;
