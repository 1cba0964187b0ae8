/**
 * The playground: a CodeMirror editor with file tabs, live diagnostics from POST /api/check, runs
 * streamed over Server-Sent Events, settings, cancel, shareable snippets and local persistence.
 */
import { javascript } from "@codemirror/lang-javascript";
import { setDiagnostics, type Diagnostic as EditorDiagnostic } from "@codemirror/lint";
import { Compartment, EditorState, type Extension } from "@codemirror/state";
import { oneDark } from "@codemirror/theme-one-dark";
import { EditorView, keymap } from "@codemirror/view";
import { basicSetup } from "codemirror";
import type { Diagnostic } from "isolator-server";
import { EXAMPLES } from "./examples.js";
import "./style.css";

interface Workspace {
  files: Record<string, string>;
  entry: string;
  active: string;
  stdin: string;
  args: string;
  timeMs: number;
  memoryMb: number;
  typecheck: boolean;
  /** Where it runs: QuickJS (the default) or real Node.js; kept in shared snippets. */
  runtime: "quickjs" | "node";
  /** The shared snippet this work started from, if any. */
  snippet?: string;
}

const STORAGE_KEY = "isolator.playground.v1";
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const ui = {
  tabs: $("tabs"),
  problems: $<HTMLUListElement>("problems"),
  output: $<HTMLPreElement>("output"),
  status: $("status"),
  stats: $("stats"),
  run: $<HTMLButtonElement>("run"),
  cancel: $<HTMLButtonElement>("cancel"),
  share: $<HTMLButtonElement>("share"),
  examples: $<HTMLSelectElement>("examples"),
  settings: $<HTMLFormElement>("settings"),
  settingsToggle: $<HTMLButtonElement>("settings-toggle"),
  stdin: $<HTMLTextAreaElement>("stdin"),
  args: $<HTMLInputElement>("args"),
  timeLimit: $<HTMLInputElement>("time-limit"),
  memoryLimit: $<HTMLInputElement>("memory-limit"),
  typecheck: $<HTMLInputElement>("typecheck"),
  runtime: $<HTMLSelectElement>("runtime"),
  toast: $("toast"),
};

const fromExample = (index: number): Workspace => {
  const example = EXAMPLES[index]!;
  const entry = Object.keys(example.files)[0]!;
  return { files: { ...example.files }, entry, active: entry, stdin: example.stdin ?? "", args: "", timeMs: example.timeMs ?? 5000, memoryMb: 64, typecheck: true, runtime: "quickjs" };
};

let workspace: Workspace = loadSaved() ?? fromExample(0);
let diagnostics: Diagnostic[] = [];
let runningId: string | undefined;
let events: EventSource | undefined;

// ---------------------------------------------------------------------------------------------
// Editor: one view, one state per file (so each keeps its own undo history)

const theme = new Compartment();
const dark = window.matchMedia("(prefers-color-scheme: dark)");
const states = new Map<string, EditorState>();

function extensions(): Extension[] {
  return [
    basicSetup,
    javascript({ typescript: true }),
    theme.of(dark.matches ? oneDark : []),
    keymap.of([{ key: "Mod-Enter", preventDefault: true, run: () => (void run(), true) }]),
    EditorView.updateListener.of((update) => {
      if (!update.docChanged) return;
      workspace.files[workspace.active] = update.state.doc.toString();
      save();
      scheduleCheck();
    }),
    EditorView.contentAttributes.of({ "aria-label": "Code editor" }),
  ];
}

function stateFor(file: string): EditorState {
  let state = states.get(file);
  if (!state) states.set(file, (state = EditorState.create({ doc: workspace.files[file] ?? "", extensions: extensions() })));
  return state;
}

const view = new EditorView({ parent: $("editor"), state: stateFor(workspace.active) });
dark.addEventListener("change", () => view.dispatch({ effects: theme.reconfigure(dark.matches ? oneDark : []) }));

function openFile(file: string): void {
  states.set(workspace.active, view.state);
  workspace.active = file;
  view.setState(stateFor(file));
  save();
  renderTabs();
  showDiagnostics();
}

// ---------------------------------------------------------------------------------------------
// Tabs: add, rename (double-click), delete, choose the entry

function renderTabs(): void {
  ui.tabs.replaceChildren(
    ...Object.keys(workspace.files).map((file) => {
      const tab = document.createElement("div");
      tab.className = `tab${file === workspace.active ? " active" : ""}`;
      const open = button(file + (file === workspace.entry ? " ▸" : ""), () => openFile(file), { role: "tab", "aria-selected": String(file === workspace.active), "data-file": file, title: "Double-click to rename" });
      open.addEventListener("dblclick", () => rename(file));
      tab.append(open);
      if (file !== workspace.entry) tab.append(button("▸", () => setEntry(file), { class: "tab-entry", title: `Make ${file} the entry file`, "aria-label": `Make ${file} the entry file` }));
      if (Object.keys(workspace.files).length > 1) tab.append(button("×", () => remove(file), { class: "tab-close", title: `Delete ${file}`, "aria-label": `Delete ${file}` }));
      return tab;
    }),
    button("+", addFile, { id: "add-file", title: "Add a file", "aria-label": "Add a file" }),
  );
}

function button(label: string, onClick: () => void, attributes: Record<string, string> = {}): HTMLButtonElement {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = label;
  for (const [k, v] of Object.entries(attributes)) b.setAttribute(k, v);
  b.addEventListener("click", onClick);
  return b;
}

const validName = (name: string) => /^[\w.-]+\.(ts|mts|js|mjs)$/.test(name);

function addFile(): void {
  let n = 1;
  while (`util${n}.ts` in workspace.files) n++;
  const name = prompt("New file name", `util${n}.ts`)?.trim();
  if (!name) return;
  if (!validName(name) || name in workspace.files) return toast(`"${name}" is not a new .ts or .js file name`);
  workspace.files[name] = "";
  openFile(name);
  scheduleCheck();
}

function rename(file: string): void {
  const name = prompt("Rename file", file)?.trim();
  if (!name || name === file) return;
  if (!validName(name) || name in workspace.files) return toast(`"${name}" is not a new .ts or .js file name`);
  const files: Record<string, string> = {};
  for (const [k, v] of Object.entries(workspace.files)) files[k === file ? name : k] = v;
  workspace.files = files;
  states.set(name, states.get(file) ?? stateFor(file));
  states.delete(file);
  if (workspace.entry === file) workspace.entry = name;
  if (workspace.active === file) workspace.active = name;
  save();
  renderTabs();
  scheduleCheck();
}

function remove(file: string): void {
  delete workspace.files[file];
  states.delete(file);
  if (workspace.entry === file) workspace.entry = Object.keys(workspace.files)[0]!;
  if (workspace.active === file) openFile(workspace.entry);
  else renderTabs();
  save();
  scheduleCheck();
}

function setEntry(file: string): void {
  workspace.entry = file;
  save();
  renderTabs();
}

// ---------------------------------------------------------------------------------------------
// Diagnostics: checked as you type (debounced), shown as squiggles and in the problems list

let checkTimer: ReturnType<typeof setTimeout> | undefined;
let checkSeq = 0;

function scheduleCheck(): void {
  clearTimeout(checkTimer);
  checkTimer = setTimeout(() => void check(), 400);
}

async function check(): Promise<void> {
  const seq = ++checkSeq;
  try {
    const res = await fetch("/api/check", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ files: workspace.files, entry: workspace.entry, runtime: workspace.runtime }) });
    if (!res.ok || seq !== checkSeq) return;
    setProblems(((await res.json()) as { diagnostics: Diagnostic[] }).diagnostics);
  } catch {
    // offline or server restarting: keep the last diagnostics
  }
}

function setProblems(list: Diagnostic[]): void {
  diagnostics = workspace.typecheck ? list : list.filter((d) => d.code === 1005 || d.code < 2000);
  showDiagnostics();
}

function offset(doc: EditorState["doc"], line: number, column: number): number {
  const l = doc.line(Math.min(Math.max(1, line), doc.lines));
  return Math.min(l.from + Math.max(0, column - 1), l.to);
}

function showDiagnostics(): void {
  const doc = view.state.doc;
  const here: EditorDiagnostic[] = diagnostics
    .filter((d) => d.file === workspace.active)
    .map((d) => {
      const from = offset(doc, d.line, d.column);
      const to = Math.max(from + 1, offset(doc, d.endLine, d.endColumn));
      return { from, to: Math.min(to, doc.length), severity: d.category === "error" ? "error" : "warning", message: d.code ? `${d.message} (TS${d.code})` : d.message };
    });
  view.dispatch(setDiagnostics(view.state, here));
  ui.problems.replaceChildren(
    ...diagnostics.map((d) => {
      const li = document.createElement("li");
      li.className = `problem ${d.category}`;
      li.dataset.line = String(d.line);
      li.tabIndex = 0;
      li.textContent = `${d.file}:${d.line}:${d.column} ${d.message}`;
      const go = () => {
        if (d.file !== workspace.active && d.file in workspace.files) openFile(d.file);
        const pos = offset(view.state.doc, d.line, d.column);
        view.dispatch({ selection: { anchor: pos }, scrollIntoView: true });
        view.focus();
      };
      li.addEventListener("click", go);
      li.addEventListener("keydown", (e) => e.key === "Enter" && go());
      return li;
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// Runs: submit, stream output over SSE, show the outcome; cancel

interface RunView {
  id: string;
  status: string;
  exitCode: number | null;
  error: { name: string; message: string; stack: string } | null;
  diagnostics: Diagnostic[];
  stats: { buildMs: number | null; runMs: number | null; memoryPeakBytes: number | null };
}

async function run(): Promise<void> {
  if (runningId) return;
  readSettings();
  events?.close();
  ui.output.replaceChildren();
  ui.stats.textContent = "";
  setStatus("Submitting…", "busy");
  setRunning(true);
  try {
    const res = await fetch("/api/runs", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        files: workspace.files,
        entry: workspace.entry,
        stdin: workspace.stdin,
        args: workspace.args.split(/\s+/).filter(Boolean),
        typecheck: workspace.typecheck,
        runtime: workspace.runtime,
        limits: { timeMs: workspace.timeMs, memoryMb: workspace.memoryMb },
      }),
    });
    const body = (await res.json()) as { id?: string; error?: { message: string } };
    if (!res.ok || !body.id) throw new Error(body.error?.message ?? `the server answered ${res.status}`);
    runningId = body.id;
    follow(body.id);
  } catch (e) {
    setRunning(false);
    setStatus(`Could not run: ${e instanceof Error ? e.message : String(e)}`, "bad");
  }
}

function follow(id: string): void {
  events = new EventSource(`/api/runs/${id}/events`);
  events.addEventListener("status", (e) => setStatus(label((JSON.parse((e as MessageEvent<string>).data) as { status: string }).status), "busy"));
  events.addEventListener("output", (e) => {
    // One chunk may hold both streams: `switches` are the offsets in `text` where the stream flips.
    const chunk = JSON.parse((e as MessageEvent<string>).data) as { stream: string; text: string; switches?: number[] };
    let stream = chunk.stream;
    let from = 0;
    for (const at of [...(chunk.switches ?? []), chunk.text.length]) {
      if (at > from) append(chunk.text.slice(from, at), stream);
      [from, stream] = [at, stream === "stdout" ? "stderr" : "stdout"];
    }
  });
  events.addEventListener("run", (e) => {
    events?.close();
    finish(JSON.parse((e as MessageEvent<string>).data) as RunView);
  });
  events.onerror = () => {
    // The stream ended or broke: read the run once, so the page never hangs in "running".
    if (runningId !== id) return;
    events?.close();
    void fetch(`/api/runs/${id}?wait=30`).then(async (res) => finish((await res.json()) as RunView));
  };
}

function finish(result: RunView): void {
  if (runningId !== result.id) return;
  runningId = undefined;
  setRunning(false);
  if (result.status === "compile_error") {
    setProblems(result.diagnostics);
    append(`${result.diagnostics.filter((d) => d.category === "error").length} error(s): fix them to run (see Problems).\n`, "stderr");
  }
  if (result.error && result.status !== "compile_error") append(`${result.error.name}: ${result.error.message}\n${result.error.stack}`, "error");
  const tone = result.status === "succeeded" ? "good" : "bad";
  setStatus(`${label(result.status)}${result.exitCode !== null ? ` · exit code ${result.exitCode}` : ""}`, tone);
  const s = result.stats;
  const parts = [
    s.buildMs !== null ? `Compile ${format(s.buildMs)}` : "",
    s.runMs !== null ? `Execute ${format(s.runMs)}` : "",
    s.memoryPeakBytes !== null ? `Memory ${(s.memoryPeakBytes / 1048576).toFixed(1)} MB` : "",
  ];
  ui.stats.textContent = parts.filter(Boolean).join(" · ");
}

async function cancel(): Promise<void> {
  if (!runningId) return;
  setStatus("Cancelling…", "busy");
  await fetch(`/api/runs/${runningId}/cancel`, { method: "POST" });
}

const LABELS: Record<string, string> = {
  queued: "Queued",
  building: "Compiling",
  running: "Running",
  succeeded: "Succeeded",
  failed: "Failed",
  compile_error: "Compile error",
  timed_out: "Timed out",
  memory_exceeded: "Out of memory",
  output_exceeded: "Output limit reached",
  cancelled: "Cancelled",
  internal_error: "Internal error",
};
const label = (status: string) => LABELS[status] ?? status;
const format = (ms: number) => (ms < 1000 ? `${ms.toFixed(ms < 10 ? 1 : 0)} ms` : `${(ms / 1000).toFixed(2)} s`);

function append(text: string, kind: string): void {
  const span = document.createElement("span");
  span.className = `chunk ${kind}`;
  span.textContent = text;
  const atBottom = ui.output.scrollTop + ui.output.clientHeight >= ui.output.scrollHeight - 4;
  ui.output.append(span);
  if (atBottom) ui.output.scrollTop = ui.output.scrollHeight;
}

function setStatus(text: string, tone: "busy" | "good" | "bad"): void {
  ui.status.textContent = text;
  ui.status.dataset.tone = tone;
}

function setRunning(running: boolean): void {
  ui.run.disabled = running;
  ui.cancel.disabled = !running;
}

// ---------------------------------------------------------------------------------------------
// Share: snippets and permalinks

async function share(): Promise<void> {
  readSettings();
  const res = await fetch("/api/snippets", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ files: workspace.files, entry: workspace.entry, runtime: workspace.runtime, stdin: workspace.stdin, args: workspace.args.split(/\s+/).filter(Boolean) }),
  });
  const body = (await res.json()) as { id?: string; error?: { message: string } };
  if (!res.ok || !body.id) return toast(`Could not share: ${body.error?.message ?? res.status}`);
  const url = `${location.origin}/s/${body.id}`;
  history.replaceState(null, "", `/s/${body.id}`);
  workspace.snippet = body.id;
  save();
  try {
    await navigator.clipboard.writeText(url);
    toast(`Link copied: ${url}`);
  } catch {
    toast(`Share this link: ${url}`);
  }
  ui.share.dataset.url = url;
}

async function loadSnippet(id: string): Promise<boolean> {
  const res = await fetch(`/api/snippets/${encodeURIComponent(id)}`);
  if (!res.ok) {
    toast("That shared snippet does not exist (any more).");
    return false;
  }
  const s = (await res.json()) as { files: Record<string, string>; entry: string; stdin: string; args: string[]; runtime: Workspace["runtime"] };
  workspace = { ...workspace, files: s.files, entry: s.entry, active: s.entry, stdin: s.stdin, args: s.args.join(" "), runtime: s.runtime, snippet: id };
  return true;
}

// ---------------------------------------------------------------------------------------------
// Settings, persistence, toasts

function readSettings(): void {
  workspace.stdin = ui.stdin.value;
  workspace.args = ui.args.value;
  workspace.timeMs = Math.max(1, Number(ui.timeLimit.value) || 5000);
  workspace.memoryMb = Math.max(16, Number(ui.memoryLimit.value) || 64);
  workspace.typecheck = ui.typecheck.checked;
  workspace.runtime = ui.runtime.value === "node" ? "node" : "quickjs";
  save();
}

function writeSettings(): void {
  ui.stdin.value = workspace.stdin;
  ui.args.value = workspace.args;
  ui.timeLimit.value = String(workspace.timeMs);
  ui.memoryLimit.value = String(workspace.memoryMb);
  ui.typecheck.checked = workspace.typecheck;
  ui.runtime.value = workspace.runtime;
}

function save(): void {
  localStorage.setItem(STORAGE_KEY, JSON.stringify(workspace));
}

function loadSaved(): Workspace | undefined {
  try {
    const saved = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? "null") as Workspace | null;
    // Work saved before runtimes existed runs on QuickJS.
    return saved && typeof saved.files === "object" && saved.entry in saved.files ? { ...saved, runtime: saved.runtime ?? "quickjs" } : undefined;
  } catch {
    return undefined;
  }
}

let toastTimer: ReturnType<typeof setTimeout> | undefined;
function toast(text: string): void {
  ui.toast.textContent = text;
  ui.toast.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (ui.toast.hidden = true), 5000);
}

function reload(): void {
  states.clear();
  view.setState(stateFor(workspace.active));
  writeSettings();
  renderTabs();
  save();
  scheduleCheck();
}

// ---------------------------------------------------------------------------------------------
// Wiring

ui.examples.append(new Option("Examples…", ""), ...EXAMPLES.map((e, i) => new Option(e.name, String(i))));
ui.examples.addEventListener("change", () => {
  if (ui.examples.value === "") return;
  workspace = fromExample(Number(ui.examples.value)); // (no snippet: a fresh start)
  ui.examples.value = "";
  history.replaceState(null, "", "/");
  reload();
});
ui.run.addEventListener("click", () => void run());
ui.cancel.addEventListener("click", () => void cancel());
ui.share.addEventListener("click", () => void share());
ui.settingsToggle.addEventListener("click", () => {
  ui.settings.hidden = !ui.settings.hidden;
  ui.settingsToggle.setAttribute("aria-expanded", String(!ui.settings.hidden));
});
ui.settings.addEventListener("input", () => {
  readSettings();
  scheduleCheck();
});
ui.settings.addEventListener("submit", (e) => e.preventDefault());
document.addEventListener("keydown", (e) => {
  if ((e.ctrlKey || e.metaKey) && e.key === "Enter") {
    e.preventDefault();
    void run();
  }
});

// A permalink opens the snippet, unless this browser already holds edits made on top of it.
const shared = /^\/s\/([\w-]+)$/.exec(location.pathname)?.[1];
if (shared && workspace.snippet !== shared) await loadSnippet(shared);
reload();
document.body.dataset.readyAt = performance.now().toFixed(1); // time to interactive, read by the bench
document.body.dataset.ready = "true";
