// The origin's storage, for the disk manager: how much is used of the quota
// (navigator.storage.estimate()), and whether the browser keeps it under storage pressure
// (navigator.storage.persist(): "keep my disks").

export interface StorageEstimate {
  usage: number;
  quota: number;
  /** Whether the browser has granted persistence (it will not evict these disks on its own). */
  persisted: boolean;
}

export async function storageEstimate(): Promise<StorageEstimate> {
  const [est, persisted] = await Promise.all([
    navigator.storage.estimate(),
    navigator.storage.persisted(),
  ]);
  return { usage: est.usage ?? 0, quota: est.quota ?? 0, persisted };
}

/** Ask for persistence; resolves with the browser's answer (it may say no without asking). */
export function requestPersistence(): Promise<boolean> {
  return navigator.storage.persist();
}
