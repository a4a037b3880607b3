// How a byte range of the disk falls onto the image's fixed-size chunks.

export interface ChunkPiece {
  chunkIndex: number;
  /** Where the piece starts inside its chunk. */
  offsetInChunk: number;
  nbytes: number;
  /** Where the piece starts inside the request's data. */
  offsetInRequest: number;
}

/** The pieces of [byteOffset, byteOffset + nbytes), in order; none for an empty range. */
export function chunkPieces(byteOffset: number, nbytes: number, chunkSize: number): ChunkPiece[] {
  const pieces: ChunkPiece[] = [];
  let done = 0;
  while (done < nbytes) {
    const at = byteOffset + done;
    const chunkIndex = Math.floor(at / chunkSize);
    const offsetInChunk = at - chunkIndex * chunkSize;
    const n = Math.min(chunkSize - offsetInChunk, nbytes - done);
    pieces.push({ chunkIndex, offsetInChunk, nbytes: n, offsetInRequest: done });
    done += n;
  }
  return pieces;
}
