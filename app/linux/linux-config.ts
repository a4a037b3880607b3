// A Linux machine's configuration: the disk modes it offers, what the caller may set, and the
// PC's fixed dimensions (its IDE front end's slots, the staging buffer, memory, kernel cmdline).

import type { AioConfig } from '../shared/block/aio-config.ts';
import type { CacheMode } from '../shared/block/block.ts';
import type { PoolConfig } from '../shared/pool/pool-config.ts';

/**
 * How the disk keeps what the guest writes. writeback: IDENTIFY advertises a write cache and
 * FLUSH CACHE reaches the block layer's durable flush, so what a completed flush covered
 * survives a crash or a power cut, as on a PC's disk. writethrough: no write cache; every write
 * is durable before it completes. unsafe: a write cache whose flush does nothing (for tests
 * that must find losses).
 */
export const LINUX_DISK_MODES = ['writeback', 'writethrough', 'unsafe'] as const;
export type LinuxDiskMode = (typeof LINUX_DISK_MODES)[number];
export const DEFAULT_LINUX_DISK_MODE: LinuxDiskMode = 'writeback';

export const CACHE_OF_MODE: Record<LinuxDiskMode, CacheMode> = {
  writeback: 'writeback',
  writethrough: 'writethrough',
  unsafe: 'unsafe',
};

/** Request slots of the IDE front end (v86 has one command at a time per channel, plus the
 *  answers it has not heard yet); a power of two, so the completion ring wraps cleanly. */
export const IDE_SLOTS = 32;
/** The staging buffer: the largest ATA request (65 536 sectors, 32 MiB) and room besides. */
export const DMA_BYTES = 48 << 20;
/** v86 loads the initramfs at 64 MiB: the guest needs more than that. */
export const DEFAULT_MEMORY_MIB = 128;
/** The crypto self-tests cost seconds of boot in v86; ISA PnP probing finds nothing. */
export const DEFAULT_CMDLINE = 'console=ttyS0 quiet cryptomgr.notests noisapnp';
/** v86's thread, the machine's one vCPU. */
export const VCPU = 0;

export interface LinuxConfig {
  /** The image v86's hard disk is; held for the machine's lifetime. */
  image: string;
  mode?: LinuxDiskMode;
  pool?: Partial<PoolConfig>;
  aio?: Partial<AioConfig>;
  pageCacheBytes?: number;
  memoryMiB?: number;
  cmdline?: string;
}
