// The Linux panel's image menu: the images of the Disks panel a guest can boot on, "linux" first
// — offered to be made blank when it does not exist yet, and made so on its first boot.

import { h } from '../dom.ts';
import type { ImageInfo } from '../shared/block/image-format.ts';
import type { WebAio } from '../webaio.ts';

const IMAGES_MS = 2000;
/** The image the panel offers first: made blank on the first boot, formatted by the guest. */
export const LINUX_IMAGE = 'linux';
const LINUX_IMAGE_BYTES = 256 << 20;

export class LinuxImageMenu {
  readonly select = h('select', { name: 'linuxImage' });
  private readonly webaio: WebAio;
  private shown = '';

  constructor(webaio: WebAio) {
    this.webaio = webaio;
    void this.list();
    setInterval(() => void this.list(), IMAGES_MS);
  }

  /** The image chosen. */
  get value(): string {
    return this.select.value;
  }

  /** Choose `image`, if the menu offers it. */
  choose(image: string): void {
    if ([...this.select.options].some((o) => o.value === image)) this.select.value = image;
  }

  /** Make LINUX_IMAGE, blank, if `image` is it and it does not exist yet; `say` tells of it. */
  async ensure(image: string, say: (text: string) => void): Promise<void> {
    if (image !== LINUX_IMAGE || (await this.webaio.images.list()).some((i) => i.name === image)) {
      return;
    }
    say(`Creating "${image}", a blank ${LINUX_IMAGE_BYTES >> 20} MiB disk…`);
    await this.webaio.images.create(image, LINUX_IMAGE_BYTES);
  }

  private async list(): Promise<void> {
    try {
      this.show(await this.webaio.images.list());
    } catch {
      // The Disks panel says why the list failed.
    }
  }

  /** The menu's choices, redrawn only when they change. */
  private show(images: readonly ImageInfo[]): void {
    const names = images.filter((i) => !i.error && !i.importing).map((i) => i.name);
    const fresh = !names.includes(LINUX_IMAGE);
    const key = `${fresh}\n${names.join('\n')}`;
    // Never under the user's hands: a focused menu is redrawn on a later pass.
    if (key === this.shown || document.activeElement === this.select) return;
    this.shown = key;
    const chosen = this.select.value || LINUX_IMAGE;
    const option = (value: string, text = value) =>
      h('option', { value, selected: value === chosen }, text);
    this.select.replaceChildren(
      ...(fresh ? [option(LINUX_IMAGE, `${LINUX_IMAGE} (new, blank)`)] : []),
      ...names.map((n) => option(n)),
    );
  }
}
