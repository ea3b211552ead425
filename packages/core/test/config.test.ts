import { describe, expect, it } from 'vitest';
import { isMfmigError, resolveConfig } from '@mfmig/core';

describe('resolveConfig', () => {
  it('honours the environment, and explicit options win', () => {
    const env = { MIGRATION_PATH: '/m', BACKUP_PATH: '/b', ENABLE_LOGGING: 'true', ENABLE_METRICS: '0', EMERGENCY_CONTACTS: 'a@x, b@y', INTEGRITY_CHECK_LEVEL: 'quick', VALIDATION_TIMEOUT: '1000', ROLLBACK_SAFETY_CHECKS: 'false', BACKUP_RETENTION: '3' };
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
});
