/**
 * An in-memory run store holding what one transaction writes: the fixture
 * of the store query tests.
 *
 * @module
 */
import { Store, type StoreWriter } from "../data/store.ts";

/**
 * Opens an in-memory store and runs `fill` in one transaction on it.
 *
 * @example
 * ```ts
 * import { storeWith } from "./store_with.ts";
 * const store = await storeWith((tx) => tx.upsertSlide({ id: "a", path: "a.tiff" }));
 * if ((await store.slideLabels()).length !== 1) throw new Error();
 * store.close();
 * ```
 */
export async function storeWith(
  fill: (tx: StoreWriter) => Promise<void>,
): Promise<Store> {
  const store = await Store.open(":memory:");
  try {
    await store.transaction(fill);
  } catch (error) {
    store.close();
    throw error;
  }
  return store;
}
