// The last N requests for the page: a fixed array written in a circle, found by their sequential ids in O(1).

export interface HasId {
  readonly id: number;
}

export class RingBuffer<T extends HasId> {
  readonly #slots: (T | undefined)[];
  #count = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`a ring buffer holds at least one item, not ${capacity}`);
    this.#slots = new Array<T | undefined>(capacity);
  }

  /** Keeps `item`, dropping the oldest when full. Ids must be pushed in increasing order, one apart. */
  push(item: T): void {
    this.#slots[item.id % this.capacity] = item;
    this.#count = Math.min(this.#count + 1, this.capacity);
  }

  /** The item with this id, while it is still held. */
  get(id: number): T | undefined {
    if (!Number.isInteger(id) || id < 0) return undefined;
    const item = this.#slots[id % this.capacity];
    return item?.id === id ? item : undefined;
  }

  get size(): number {
    return this.#count;
  }

  /** Every item held, oldest first. */
  items(): T[] {
    const held = this.#slots.filter((item): item is T => item !== undefined);
    return held.sort((a, b) => a.id - b.id);
  }
}
