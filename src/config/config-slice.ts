import type { ValueProvider } from '@nestjs/common';
import { CORE_CONFIG, CoreConfig, loadCoreConfig } from './core.config';
import { Env, EnvReader } from './env-reader';

/**
 * One feature's part of the configuration, kept beside the feature (as the
 * `registerAs` namespaces of @nestjs/config): read from the environment and
 * checked at start, then injected where needed with `@Inject(slice.token)`.
 */
export interface ConfigSlice<T> {
  readonly token: symbol;
  readonly load: (read: EnvReader, core: CoreConfig) => T;
}

export function configSlice<T>(name: string, load: (read: EnvReader, core: CoreConfig) => T): ConfigSlice<T> {
  return { token: Symbol(`${name} config`), load };
}

/** An application's slices, by the property each gets in the whole configuration. */
export type ConfigSlices = Record<string, ConfigSlice<unknown>>;

/** The core's settings at the top and each slice under its property: `config.port`, `config.jwt.issuer`. */
export type ComposedConfig<S extends ConfigSlices> = CoreConfig & { readonly [K in keyof S]: S[K] extends ConfigSlice<infer T> ? T : never };

/** Reads the core, then every slice; the first bad value stops it with a ConfigError naming the variable. */
export function loadSlices<S extends ConfigSlices>(slices: S, env: Env): ComposedConfig<S> {
  const read = new EnvReader(env);
  const core = loadCoreConfig(read);
  const config: Record<string, unknown> = { ...core };
  for (const [property, slice] of Object.entries(slices)) config[property] = slice.load(read, core);
  return config as ComposedConfig<S>;
}

/** The core under CORE_CONFIG and each slice under its token: a consumer sees only the part it asks for. */
export function sliceProviders<S extends ConfigSlices>(slices: S, config: ComposedConfig<S>): ValueProvider[] {
  const core = Object.fromEntries(Object.entries(config).filter(([property]) => !(property in slices)));
  const parts = Object.entries(slices).map(([property, slice]) => ({ provide: slice.token, useValue: config[property] }));
  return [{ provide: CORE_CONFIG, useValue: core }, ...parts];
}
