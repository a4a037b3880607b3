// The disk manager panel: the table of images (image-table.ts), create (with units, or as an
// overlay of a base URL), import a raw file (picker or drop) and export one, resize, delete
// (asking first), and the image the machine boots on.

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
import { ImageTable } from './image-table.ts';

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
  private readonly table: ImageTable;
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
    this.table = new ImageTable(
      {
        boot: (name) => this.boot(name),
        bootLinux: hooks.bootLinux ? (name) => this.bootLinux(name) : undefined,
        exportImage: (info) => this.exportImage(info),
        resize: (info) => this.resize(info),
        remove: (info) => this.remove(info),
      },
      (fn) => this.run(fn),
    );
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
      this.table.root,
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
        this.table.draw(images, booted);
      }
      await this.storage.refresh();
    } catch (e) {
      this.say(`Could not list the disks: ${(e as Error).message}`);
    }
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
