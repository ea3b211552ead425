import { afterAll, describe, expect, it, vi } from 'vitest';
import { isMfmigError, resolveConfig } from '@mfmig/core';

// the worker keeps its modules for the next test file (isolate: false): that file gets fresh ones, not the copies swapped here
afterAll(() => {
  vi.resetModules();
});

describe('resolveConfig', () => {
  it('honours the environment, and explicit options win', () => {
    const env = {
      MIGRATION_PATH: '/m',
      BACKUP_PATH: '/b',
      ENABLE_LOGGING: 'true',
      ENABLE_METRICS: '0',
      EMERGENCY_CONTACTS: 'a@x, b@y',
      INTEGRITY_CHECK_LEVEL: 'quick',
      VALIDATION_TIMEOUT: '1000',
      ROLLBACK_SAFETY_CHECKS: 'false',
      BACKUP_RETENTION: '3',
    };
    const config = resolveConfig({ database: 'kb.db', backupPath: '/explicit' }, env);
    expect(config).toMatchObject({
      migrationsPath: '/m',
      backupPath: '/explicit',
      enableLogging: true,
      enableMetrics: false,
      emergencyContacts: ['a@x', 'b@y'],
      integrityCheckLevel: 'quick',
      validationTimeout: 1000,
      rollbackSafetyChecks: false,
      backupRetention: 3,
    });
  });

  it.each([
    ['ENABLE_METRICS', 'maybe'],
    ['VALIDATION_TIMEOUT', '-5'],
    ['INTEGRITY_CHECK_LEVEL', 'paranoid'],
    ['BACKUP_RETENTION', 'ten'],
  ])('names a bad %s value', (name, value) => {
    try {
      resolveConfig({ database: 'kb.db' }, { [name]: value });
      expect.unreachable();
    } catch (error) {
      expect(isMfmigError(error) && error.code).toBe('CONFIG_INVALID');
      expect((error as Error).message).toContain(name);
    }
  });

  it('names a bad option', () => {
    expect(() => resolveConfig({ database: 'kb.db', batchSize: 0 }, {})).toThrow(/batchSize/);
    expect(() => resolveConfig({ database: 42 as never }, {})).toThrow(/database/);
  });

  it('resolves a plain configuration without loading zod, and hands anything else to zod', async () => {
    vi.resetModules();
    const lazy = await import('../src/lazy/load-on-use.js');
    const realZod = await import('zod');
    const loadZod = vi.fn(() => realZod);
    lazy.useModuleLoaders({ zod: loadZod });
    const fresh = await import('../src/config/config.js');
    const logger = { log() {} };
    const env = { VALIDATION_TIMEOUT: '5', ENABLE_LOGGING: 'yes', EMERGENCY_CONTACTS: ' a@x,,b@y ', MIGRATION_FORMAT: 'flyway' };
    expect(fresh.resolveConfig({ database: 'kb.db', lockTimeout: 0, emergencyContacts: undefined, logger, unknownKey: 1 } as never, env)).toEqual({
      database: 'kb.db',
      migrationsPath: './migrations',
      format: 'flyway',
      backupPath: './backups',
      enableLogging: true,
      enableMetrics: false,
      validationTimeout: 5,
      integrityCheckLevel: 'standard',
      rollbackSafetyChecks: true,
      emergencyContacts: ['a@x', 'b@y'],
      lockTimeout: 0,
      batchSize: 10_000,
      backupRetention: 10,
      logger,
    });
    expect(loadZod).not.toHaveBeenCalled();

    expect(() => fresh.resolveConfig({ database: 'kb.db', emergencyContacts: ['a', ''] }, {})).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('emergencyContacts') }),
    );
    expect(() => fresh.resolveConfig({ database: 'kb.db' }, { BACKUP_RETENTION: '9007199254740993' })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
    expect(fresh.resolveConfig({ database: 'kb.db', milestones: [{ mvp: 1, through: 3 }, { mvp: 2 }] }, {}).milestones).toEqual([
      { mvp: 1, through: 3 },
      { mvp: 2 },
    ]);
    expect(loadZod).toHaveBeenCalledTimes(1);
  });
});
