// Word indices of the small buffers the primitives' tests share with their threads.
export const W = { mutex: 0, cond: 1, counter: 2, ready: 3, woken: 4, words: 5 } as const;
