// A machine's AIO pool and disk, live: the pool's counters and one box per worker, the disk's
// IOPS, bandwidth, latency, transactions and page cache. Shown by the toy machine's panel and the
// Linux view alike. Cells are updated in place (rows are made once per key), so a redraw several
// times a second moves neither the page nor anyone's focus.

import { h } from '../dom.ts';
import type { MachineStats } from '../machine/machine-stats.ts';
import { fmtBandwidth, fmtBytes, fmtRate, fmtUs } from './format.ts';

const POOL_COUNTERS = [
  ['cur_threads', 'cur'],
  ['idle_threads', 'idle'],
  ['new_threads', 'new (backlog)'],
  ['pending_threads', 'pending'],
  ['min_threads', 'min'],
  ['max_threads', 'max'],
  ['spawned', 'spawned'],
  ['exited', 'exited'],
  ['lost_with_creator', 'lost with their vCPU'],
  ['requeued', 'requests requeued'],
] as const;

type Row = [key: string, label: string, value: string];

/** Requests per IndexedDB transaction, and the page cache's hits and dirty pages. */
function perTransaction(s: MachineStats): Row[] {
  const a = s.aio;
  const per = (requests: number, tx: number) => (tx > 0 ? (requests / tx).toFixed(1) : '—');
  const rows: Row[] = [
    [
      'read-tx',
      'requests / read transaction',
      per(a.read_transaction_requests, a.read_transactions),
    ],
    [
      'write-tx',
      'requests / write transaction',
      per(a.write_transaction_requests, a.write_transactions),
    ],
    ['durable-tx', 'durable transactions', String(a.durable_transactions)],
  ];
  if (a.config.pageCache) {
    const c = a.page_cache;
    const looked = c.hits + c.misses;
    rows.push(
      [
        'cache-hits',
        'page cache hits',
        looked > 0 ? `${((100 * c.hits) / looked).toFixed(0)} %` : '—',
      ],
      ['cache-dirty', 'dirty pages', `${c.dirty} of ${c.pages}`],
    );
  }
  return rows;
}

/** A two-column table whose rows are kept by key: text changes in place, rows come and go. */
class KeyedTable {
  readonly root: HTMLTableElement;
  private readonly attr: string;
  private readonly rows = new Map<string, { tr: HTMLTableRowElement; td: HTMLElement }>();

  constructor(label: string, attr: 'data-counter' | 'data-stat') {
    this.root = h('table', { 'aria-label': label, class: 'counters' });
    this.attr = attr;
  }

  show(rows: readonly Row[]): void {
    const keys = rows.map(([key]) => key);
    for (const [key, row] of this.rows) {
      if (!keys.includes(key)) {
        row.tr.remove();
        this.rows.delete(key);
      }
    }
    let prev: HTMLTableRowElement | undefined;
    for (const [key, label, value] of rows) {
      let row = this.rows.get(key);
      if (!row) {
        const td = h('td', { [this.attr]: key });
        const tr = h('tr', {}, h('th', { scope: 'row' }, label), td);
        if (prev) prev.after(tr);
        else this.root.prepend(tr);
        row = { tr, td };
        this.rows.set(key, row);
      }
      if (row.td.textContent !== value) row.td.textContent = value;
      prev = row.tr;
    }
  }
}

export class PoolFigures {
  readonly pool: HTMLElement;
  readonly disk: HTMLElement;
  readonly lanes: HTMLElement;
  private readonly poolTable: KeyedTable;
  private readonly diskTable: KeyedTable;
  private last: { t: number; ops: number; bytes: number } | undefined;

  /** `prefix` names this view's tables apart from another's ("" or "Linux "). */
  constructor(prefix = '') {
    this.poolTable = new KeyedTable(`${prefix}pool counters`, 'data-counter');
    this.diskTable = new KeyedTable(`${prefix}disk`, 'data-stat');
    this.pool = h('div', {}, h('h3', {}, 'AIO pool'), this.poolTable.root);
    this.disk = h('div', {}, h('h3', {}, 'Disk'), this.diskTable.root);
    this.lanes = h('div', {
      class: 'lanes',
      'aria-label': `${prefix}pool workers`,
      role: 'list',
    });
  }

  /** A new machine: rates start over. */
  reset(): void {
    this.last = undefined;
  }

  update(s: MachineStats): void {
    this.poolTable.show(POOL_COUNTERS.map(([key, label]) => [key, label, String(s.pool[key])]));
    const live = s.spawns.filter((w) => w.state !== 'exited' && w.state !== 'lost');
    this.lanes.replaceChildren(
      ...live.map((w) =>
        h(
          'span',
          {
            class: `lane ${w.state}`,
            role: 'listitem',
            title: `worker #${w.seq}: ${w.state}, created by ${w.creator ?? '—'}, ${w.served} requests`,
          },
          w.creator === 'main' ? 'M' : (w.creator?.replace('vcpu', '') ?? '·'),
        ),
      ),
    );
    this.diskTable.show(this.diskRows(s));
  }

  private diskRows(s: MachineStats): Row[] {
    const now = performance.now();
    const ops = s.rd_operations + s.wr_operations;
    const bytes = s.rd_bytes + s.wr_bytes;
    let iops = 0;
    let bw = 0;
    if (this.last && now > this.last.t) {
      const dt = (now - this.last.t) / 1000;
      iops = (ops - this.last.ops) / dt;
      bw = (bytes - this.last.bytes) / dt;
    }
    this.last = { t: now, ops, bytes };
    const verifyErrors = s.vcpus.reduce((n, v) => n + v.counters.verifyErrors, 0);
    const rows: Row[] = [
      ['iops', 'IOPS', fmtRate(iops)],
      ['bandwidth', 'bandwidth', fmtBandwidth(bw)],
      ['read-p50', 'read latency p50', fmtUs(s.latency.rd.p50)],
      ['read-p99', 'read latency p99', fmtUs(s.latency.rd.p99)],
      ['write-p50', 'write latency p50', fmtUs(s.latency.wr.p50)],
      ['write-p99', 'write latency p99', fmtUs(s.latency.wr.p99)],
      ['ops', 'requests completed', String(ops + s.flush_operations + s.unmap_operations)],
      ['flushes', 'flushes', String(s.flush_operations)],
      [
        'failed',
        'failed',
        String(s.failed_rd_operations + s.failed_wr_operations + s.failed_flush_operations),
      ],
      [
        'invalid',
        'invalid',
        String(s.invalid_rd_operations + s.invalid_wr_operations + s.invalid_unmap_operations),
      ],
      ['verify-errors', 'verify errors', String(verifyErrors)],
      ['merged', 'requests merged', String(s.rd_merged + s.wr_merged)],
      ...perTransaction(s),
    ];
    if (s.backing) {
      // An overlay: what the base sent over HTTP against what the overlay served itself.
      rows.push(
        ['base-fetched', 'fetched from the base', fmtBytes(s.backing.fetched_bytes)],
        [
          'overlay-served',
          'served from the overlay',
          fmtBytes(s.backing.served_from_overlay_bytes),
        ],
      );
      if (s.backing.fault) rows.push(['base-fault', 'base', s.backing.fault]);
    }
    return rows;
  }
}
