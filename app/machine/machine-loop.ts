// A machine's control buffer, its BQL and its main loop, made in one place for the toy machine
// (machine.ts) and the Linux one (app/linux/): the loop holds the BQL while it runs bottom halves,
// and the machine's disk, a BlockBackend, attaches to the loop (cf. qemu_init_main_loop()).

import { MainBql } from './main-bql.ts';
import { MainLoop } from './main-loop.ts';
import { createControl, type Control } from '../shared/layout/layout.ts';
import type { ControlParams } from '../shared/layout/control-params.ts';

export interface MachineLoop {
  /** The control buffer: the vCPUs' words, the device's, and the block layer's. */
  readonly ctl: Control;
  readonly bql: MainBql;
  /** The main loop on `ctl`, which holds `bql` while it runs bottom halves. */
  readonly loop: MainLoop;
}

/** The control buffer made from `params` (the block layer's, blockControlParams(), and the
 *  machine's vCPUs), its BQL, and a main loop that holds it; the loop is not started. */
export function createMachineLoop(params: ControlParams): MachineLoop {
  const ctl = createControl(params);
  const bql = new MainBql(ctl);
  return { ctl, bql, loop: new MainLoop(ctl, bql) };
}
