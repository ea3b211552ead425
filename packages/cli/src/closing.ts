/**
 * Runs `work` with `resource` and closes the resource whether `work` returns or throws; resolves
 * to what `work` returns. The one shape behind `CliRuntime.withFramework` and the rollback
 * service helpers.
 *
 * @example
 * const report = await closing(new ValidationService(config), (validation) => validation.performComprehensiveValidation());
 */
export async function closing<TResource extends { close(): void }, T>(resource: TResource, work: (resource: TResource) => Promise<T> | T): Promise<T> {
  try {
    return await work(resource);
  } finally {
    resource.close();
  }
}
