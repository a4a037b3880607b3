// The disk manager panel: every image (size, space used, chunk size, created, base, who has it
// open), create (with units, or as an overlay of a base URL), import a raw file (picker or drop)
// and export one, resize, delete (asking first), and the image the machine boots on.

import { h } from '../dom.ts';
import { saveStream } from '../images/download.ts';
import { Errno, ErrnoError } from '../shared/block/errno.ts';
import type { ImageInfo } from '../shared/block/image-format.ts';
import type { WebAio } from '../webaio.ts';
import { confirmDialog } from './dialogs.ts';
import { fmtBytes } from './format.ts';
import { parseSize, SIZE_UNITS } from './size-text.ts';
import { StorageView } from './storage-view.ts';
import { counted, TransferView } from './transfer-view.ts';
import { resizeDialog } from './resize-dialog.ts';

/** An image's row: kept while the image exists, so that its buttons keep their focus. */
interface Row {
  tr: HTMLTableRowElement;
  info: ImageInfo;
  /** An image, or one whose metadata could not be read (its error and Delete only). */
  shape: 'image' | 'problem';
  name: HTMLTableCellElement;
  cells: HTMLTableCellElement[];
}

export interface DiskManagerHooks {
  /** The image the machine runs on now, if any. */
  booted(): string | undefined;
  /** Boot the machine on this image. */
  boot(name: string): Promise<void>;
  /** Boot Linux (the Linux panel) on this image. */
  bootLinux?(name: string): Promise<void>;
}

const REFRESH_MS = 2000;

function unitSelect(name: string, chosen: string): HTMLSelectElement {
  const s = h('select', { name });
  for (const u of SIZE_UNITS) s.append(h('option', { value: u, selected: u === chosen }, u));
  return s;
}

/** An image name from a file name: its stem, with what names may not hold replaced. */
export function nameFromFile(file: string): string {
  const stem = file.replace(/\.(img|raw|bin|iso)$/i, '').replace(/[^A-Za-z0-9._-]/g, '-');
  return (/^[A-Za-z0-9]/.test(stem) ? stem : `disk-${stem}`).slice(0, 64);
}

export class DiskManager {
  readonly root: HTMLElement;
  private readonly webaio: WebAio;
  private readonly hooks: DiskManagerHooks;
  private readonly storage = new StorageView();
  private readonly tbody = h('tbody', {});
  private readonly table = h(
    'table',
    { 'aria-label': 'images', class: 'grid' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...['Name', 'Size', 'Used', 'Chunk', 'Created', 'Base', 'In use', 'Actions'].map((t) =>
          h('th', { scope: 'col' }, t),
        ),
      ),
    ),
    this.tbody,
  );
  private readonly rows = new Map<string, Row>();
  private readonly status = h('p', { role: 'status', 'aria-label': 'disk manager status' });
  private readonly transfers = h('div', { class: 'transfers' });
  private readonly nameInput = h('input', { name: 'imageName', required: true, value: 'disk1' });
  private readonly sizeInput = h('input', { name: 'imageSize', value: '64', inputmode: 'decimal' });
  private readonly unit = unitSelect('imageUnit', 'MiB');
  private readonly baseInput = h('input', {
    name: 'baseUrl',
    type: 'url',
    placeholder: 'https://…',
  });
  private readonly fileInput = h('input', { type: 'file', name: 'importFile' });
  private readonly importAs = h('input', { name: 'importAs', placeholder: 'from the file name' });
  private shown = '';

  constructor(webaio: WebAio, hooks: DiskManagerHooks) {
    this.webaio = webaio;
    this.hooks = hooks;
    const create = h('button', { type: 'submit' }, 'Create');
    const form = h(
      'form',
      { class: 'controls', 'aria-label': 'create an image' },
      h('label', {}, 'Name ', this.nameInput),
      h('label', {}, 'Size ', this.sizeInput),
      h('label', {}, 'Unit ', this.unit),
      h('label', {}, 'Base URL (optional) ', this.baseInput),
      create,
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.create();
    });
    this.fileInput.addEventListener('change', () => {
      const file = this.fileInput.files?.[0];
      this.fileInput.value = '';
      if (file) void this.importFile(file);
    });
    const drop = h(
      'div',
      { class: 'drop', 'aria-label': 'import' },
      h('label', {}, 'Import a raw image ', this.fileInput),
      h('span', { class: 'hint' }, ' — or drop one on this panel. '),
      h('label', {}, 'Import as ', this.importAs),
    );
    this.root = h(
      'section',
      { class: 'panel', 'aria-labelledby': 'disks-title' },
      h('h2', { id: 'disks-title' }, 'Disks'),
      this.storage.root,
      this.table,
      this.status,
      this.transfers,
      h('h3', {}, 'New disk'),
      form,
      drop,
    );
    this.root.addEventListener('dragover', (e) => {
      if (e.dataTransfer?.types.includes('Files')) e.preventDefault();
    });
    this.root.addEventListener('drop', (e) => {
      const file = e.dataTransfer?.files[0];
      if (!file) return;
      e.preventDefault();
      void this.importFile(file);
    });
    void this.refresh();
    setInterval(() => void this.refresh(), REFRESH_MS);
  }

  say(message: string): void {
    this.status.textContent = message;
  }

  /** Redraw the list, only when something changed (keyboard focus survives a refresh). */
  async refresh(): Promise<void> {
    try {
      const images = await this.webaio.images.list();
      const booted = this.hooks.booted();
      const key = JSON.stringify([images, booted]);
      if (key !== this.shown) {
        this.shown = key;
        this.draw(images, booted);
      }
      await this.storage.refresh();
    } catch (e) {
      this.say(`Could not list the disks: ${(e as Error).message}`);
    }
  }

  /**
   * Bring the table up to date in place: a row per image, kept for as long as the image exists,
   * its cells rewritten and its buttons kept, so keyboard focus stays on the button it is on
   * while the figures move.
   */
  private draw(images: ImageInfo[], booted: string | undefined): void {
    const seen = new Set<string>();
    let prev: Element | null = null;
    for (const info of images) {
      seen.add(info.name);
      const shape: Row['shape'] = info.error ? 'problem' : 'image';
      let row = this.rows.get(info.name);
      if (!row || row.shape !== shape) {
        const fresh = this.newRow(info, shape);
        row?.tr.replaceWith(fresh.tr);
        row = fresh;
        this.rows.set(info.name, row);
      }
      row.info = info;
      this.fill(row, booted);
      const next: Element | null = prev ? prev.nextElementSibling : this.tbody.firstElementChild;
      if (next !== row.tr) this.tbody.insertBefore(row.tr, next);
      prev = row.tr;
    }
    for (const [name, row] of this.rows) {
      if (seen.has(name)) continue;
      row.tr.remove();
      this.rows.delete(name);
    }
  }

  private newRow(info: ImageInfo, shape: Row['shape']): Row {
    const cells = Array.from({ length: shape === 'problem' ? 1 : 6 }, () => h('td', {}));
    const row: Row = {
      tr: h('tr', { 'data-image': info.name }),
      info,
      shape,
      cells,
      name: h('th', { scope: 'row' }),
    };
    const button = (label: string, fn: () => Promise<void>) => {
      const b = h('button', { type: 'button', 'aria-label': `${label} ${info.name}` }, label);
      b.addEventListener('click', () => void this.run(fn));
      return b;
    };
    const actions = h('td', { class: 'actions' });
    if (shape === 'image') {
      actions.append(button('Boot', () => this.boot(row.info.name)));
      if (this.hooks.bootLinux) {
        actions.append(button('Boot Linux', () => this.bootLinux(row.info.name)));
      }
      actions.append(
        button('Export', () => this.exportImage(row.info)),
        button('Resize', () => this.resize(row.info)),
      );
      cells[4].className = 'url';
    } else {
      cells[0].className = 'problem';
      cells[0].colSpan = 6;
    }
    actions.append(button('Delete', () => this.remove(row.info)));
    row.tr.append(row.name, ...cells, actions);
    return row;
  }

  /** A row's cells from its image's latest info. */
  private fill(row: Row, booted: string | undefined): void {
    const i = row.info;
    const set = (el: HTMLElement, text: string) => {
      if (el.textContent !== text) el.textContent = text;
    };
    set(row.name, i.name === booted ? `${i.name} (booted)` : i.name);
    if (row.shape === 'problem') {
      set(row.cells[0], i.error ?? '');
      return;
    }
    const inUse = i.importing ? ['import'] : i.inUse;
    const [size, used, chunk, created, base, who] = row.cells;
    set(size, fmtBytes(i.virtualSize));
    set(used, fmtBytes(i.actualSize));
    set(chunk, fmtBytes(i.chunkSize));
    set(created, new Date(i.created).toLocaleString());
    set(base, i.backing ? i.backing.url : '—');
    who.dataset.inUse = inUse.join(' ');
    set(who, inUse.length ? inUse.join(', ') : 'no');
  }

  /** Run an action; its error, naming the values, goes to the status line. */
  private async run(fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (e) {
      this.say(`${(e as Error).name}: ${(e as Error).message}`);
    } finally {
      await this.refresh();
    }
  }

  private create(): Promise<void> {
    return this.run(async () => {
      const name = this.nameInput.value.trim();
      const base = this.baseInput.value.trim();
      if (base) {
        const info = await this.webaio.images.create(name, { backing: base });
        this.say(
          `Created "${name}", an overlay of ${info.backing?.url} (${fmtBytes(info.virtualSize)}).`,
        );
        return;
      }
      const bytes = parseSize(this.sizeInput.value, this.unit.value);
      if (!Number.isFinite(bytes)) {
        throw new ErrnoError(
          Errno.EINVAL,
          `size "${this.sizeInput.value} ${this.unit.value}" is not a number`,
        );
      }
      await this.webaio.images.create(name, bytes);
      this.say(`Created "${name}" (${fmtBytes(bytes)}).`);
    });
  }

  private boot(name: string): Promise<void> {
    this.say(`Booting on "${name}"…`);
    return this.hooks.boot(name).then(() => this.say(`The machine runs on "${name}".`));
  }

  private async bootLinux(name: string): Promise<void> {
    this.say(`Booting Linux on "${name}" (the Linux panel)…`);
    await this.hooks.bootLinux?.(name);
  }

  private async remove(i: ImageInfo): Promise<void> {
    if (i.inUse.length) {
      throw new ErrnoError(
        Errno.EBUSY,
        `image "${i.name}" is in use by ${i.inUse.join(', ')}: it cannot be deleted now`,
      );
    }
    const sure = await confirmDialog(
      `Delete ${i.name}?`,
      `Image "${i.name}" (${fmtBytes(i.virtualSize)}, ${fmtBytes(i.actualSize)} stored) will be ` +
        'gone for good. Export it first if you want to keep its data.',
      'Delete',
    );
    if (!sure) return;
    await this.webaio.images.delete(i.name);
    this.say(`Deleted "${i.name}".`);
  }

  private async resize(i: ImageInfo): Promise<void> {
    const answer = await resizeDialog(i);
    if (!answer) return;
    const info = await this.webaio.images.resize(i.name, answer.bytes, { shrink: answer.shrink });
    this.say(`Resized "${i.name}" to ${fmtBytes(info.virtualSize)}.`);
  }

  private async importFile(file: File): Promise<void> {
    const name = this.importAs.value.trim() || nameFromFile(file.name);
    this.importAs.value = '';
    const view = new TransferView(`import of "${name}"`);
    this.transfers.append(view.root);
    await this.run(async () => {
      try {
        const info = await this.webaio.images.import(name, file, {
          signal: view.abort.signal,
          onProgress: (p) => view.update(p),
        });
        this.say(
          `Imported "${file.name}" as "${name}": ${fmtBytes(info.virtualSize)}, ` +
            `${fmtBytes(info.actualSize)} stored (all-zero chunks are not).`,
        );
      } finally {
        view.done();
      }
    });
  }

  private async exportImage(i: ImageInfo): Promise<void> {
    // Checked before a download starts, so that the browser is not left with a failed one.
    if (i.inUse.length) {
      throw new ErrnoError(
        Errno.EBUSY,
        `image "${i.name}" is in use by ${i.inUse.join(', ')}: boot another image (or wait) ` +
          'to export it, so that its bytes hold still',
      );
    }
    const view = new TransferView(`export of "${i.name}"`);
    this.transfers.append(view.root);
    const cancelled = () =>
      new ErrnoError(Errno.ECANCELED, `export of "${i.name}" cancelled; the file is incomplete`);
    try {
      const stream = counted(this.webaio.images.export(i.name), i.virtualSize, view, cancelled);
      const how = await saveStream(stream, `${i.name}.img`, i.virtualSize);
      this.say(
        `Exported "${i.name}" (${fmtBytes(i.virtualSize)}) ${how === 'picker' ? 'to the file you chose' : 'as a download'}.`,
      );
    } finally {
      view.done();
    }
  }
}
