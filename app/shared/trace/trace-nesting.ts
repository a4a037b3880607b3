// Does a Chrome trace-event file draw as recorded? Perfetto UI lays the complete ("X") slices of
// one thread as a stack: two that overlap without one holding the other cannot both be drawn
// there. Async ("b"/"e") slices pair up per id as a stack too. This lists every breach, for
// tests to assert none. B/E duration events are not checked: chrome-trace.ts writes none.

/** An event as it may come from a file (app/shared/trace/chrome-trace.ts writes them): what the
 *  checks read, loosely typed. */
export interface TraceFileEvent {
  name?: string;
  ph?: string;
  /** µs */
  ts?: number;
  dur?: number;
  pid?: number;
  tid?: number;
  cat?: string;
  scope?: string;
  id?: string | number;
  id2?: { local?: string | number; global?: string | number };
  args?: Record<string, unknown>;
}

interface Span {
  name: string;
  /** µs */
  t0: number;
  t1: number;
}

const show = (s: Span) => `"${s.name}" [${s.t0}, ${s.t1}] µs`;

/**
 * Every pair of X slices on one (pid, tid) track that overlap without nesting, every X slice
 * without a finite ts and dur ≥ 0, and every async b/e that does not pair up (an e with no open
 * b, an e closing another name than the innermost open one, a b never ended). Empty: valid.
 * Touching (one ends where the next begins) and equal bounds nest.
 */
export function traceNestingViolations(trace: {
  traceEvents: readonly TraceFileEvent[];
}): string[] {
  const out: string[] = [];
  const threadNames = new Map<string, string>();
  const tracks = new Map<string, Span[]>();
  const asyncKeys = new Map<string, TraceFileEvent[]>();
  for (const e of trace.traceEvents) {
    const where = `pid ${e.pid} tid ${e.tid}`;
    if (e.ph === 'M' && e.name === 'thread_name') {
      threadNames.set(where, String(e.args?.name));
    } else if (e.ph === 'X') {
      const { ts, dur } = e;
      const name = e.name ?? '(no name)';
      if (typeof ts !== 'number' || typeof dur !== 'number' || !(dur >= 0) || !isFinite(ts + dur)) {
        out.push(`${where}: X slice "${name}" has ts ${ts} and dur ${dur}`);
        continue;
      }
      const spans = tracks.get(where) ?? [];
      spans.push({ name, t0: ts, t1: ts + dur });
      tracks.set(where, spans);
    } else if (e.ph === 'b' || e.ph === 'e') {
      const key = asyncKey(e);
      if (key === undefined) {
        out.push(`pid ${e.pid}: async ${e.ph} "${e.name}" at ${e.ts} µs has no id or id2`);
        continue;
      }
      const events = asyncKeys.get(key) ?? [];
      events.push(e);
      asyncKeys.set(key, events);
    }
  }
  for (const [where, spans] of tracks) {
    const label = threadNames.has(where) ? `${where} (${threadNames.get(where)})` : where;
    for (const [a, b] of partialOverlaps(spans)) {
      out.push(`${label}: ${show(a)} and ${show(b)} overlap without nesting`);
    }
  }
  for (const [key, events] of asyncKeys) out.push(...unpaired(key, events));
  return out;
}

/**
 * The async slice tree an event belongs to, per the Trace Event Format: category, scope and id;
 * a plain id and id2.global are global, id2.local is its process's. Perfetto's importer keys
 * them alike (without the scope), so a global id used by two processes mixes their slices.
 */
function asyncKey(e: TraceFileEvent): string | undefined {
  const tree = `cat ${e.cat ?? ''}${e.scope === undefined ? '' : ` scope ${e.scope}`}`;
  if (e.id !== undefined) return `${tree} id ${e.id}`;
  if (e.id2?.global !== undefined) return `${tree} id2.global ${e.id2.global}`;
  if (e.id2?.local !== undefined) return `pid ${e.pid} ${tree} id2.local ${e.id2.local}`;
  return undefined;
}

/** Pairs (a starts first) with a.t0 < b.t0 < a.t1 < b.t1; one pass over each a's overlaps. */
function partialOverlaps(spans: Span[]): [Span, Span][] {
  // Longest first among equal starts, so a later span with the same start lies inside.
  const sorted = [...spans].sort((a, b) => a.t0 - b.t0 || b.t1 - a.t1);
  const pairs: [Span, Span][] = [];
  for (let i = 0; i < sorted.length; i++) {
    const a = sorted[i];
    for (let j = i + 1; j < sorted.length && sorted[j].t0 < a.t1; j++) {
      const b = sorted[j];
      if (b.t0 > a.t0 && b.t1 > a.t1) pairs.push([a, b]);
    }
  }
  return pairs;
}

/**
 * Pair one tree's b and e as a reader does: in time order, ties in file order (Perfetto sorts
 * stably by ts), each e closing the innermost open b, which must bear its name.
 */
function unpaired(key: string, events: TraceFileEvent[]): string[] {
  const out: string[] = [];
  const open: TraceFileEvent[] = [];
  const timed: (TraceFileEvent & { ts: number })[] = [];
  for (const e of events) {
    if (typeof e.ts === 'number' && isFinite(e.ts)) timed.push({ ...e, ts: e.ts });
    else out.push(`${key}: async ${e.ph} "${e.name}" has ts ${e.ts}`);
  }
  for (const e of timed.sort((a, b) => a.ts - b.ts)) {
    if (e.ph === 'b') {
      open.push(e);
    } else {
      const top = open.pop();
      if (top === undefined) out.push(`${key}: e "${e.name}" at ${e.ts} µs ends nothing open`);
      else if (top.name !== e.name) {
        out.push(
          `${key}: e "${e.name}" at ${e.ts} µs while "${top.name}" (b at ${top.ts} µs) is the ` +
            'innermost open slice',
        );
      }
    }
  }
  for (const b of open) out.push(`${key}: b "${b.name}" at ${b.ts} µs is never ended`);
  return out;
}
