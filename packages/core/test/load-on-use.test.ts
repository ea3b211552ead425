import type * as KyselyModule from 'kysely';
import { describe, expect, it, vi } from 'vitest';

/** A fresh copy of the loaders: each keeps what it loaded for the life of its module. */
async function freshLoaders() {
  vi.resetModules();
  return import('../src/lazy/load-on-use.js');
}

describe('kysely and zod, loaded on first use', () => {
  it("load this package's copies when nothing else is handed over", async () => {
    const { kyselyModule, zodModule } = await freshLoaders();
    expect(typeof kyselyModule().Kysely).toBe('function');
    expect(zodModule().z.string().parse('x')).toBe('x');
  });

  it('use the loaders a bundled program hands over, once, and only when first needed', async () => {
    const { kyselyModule, useModuleLoaders } = await freshLoaders();
    const bundled = { Kysely: class {} } as unknown as typeof KyselyModule;
    const load = vi.fn(() => bundled);
    useModuleLoaders({ kysely: load });
    expect(load).not.toHaveBeenCalled();
    expect(kyselyModule()).toBe(bundled);
    expect(kyselyModule()).toBe(bundled);
    expect(load).toHaveBeenCalledTimes(1);
  });
});
