import type { ValueProvider } from '@nestjs/common';
import { apiV2Config } from './api-v2/api-v2.config';
import { loginThrottleConfig } from './auth/auth.config';
import { ComposedConfig, loadSlices, sliceProviders } from './config/config-slice';
import type { Env } from './config/env-reader';
import { databaseConfig } from './database/database.config';
import { metricsConfig } from './metrics/metrics.config';
import { limitsConfig } from './security/limits.config';
import { jwtConfig, passwordConfig, revocationConfig } from './security/security.config';
import { sessionConfig } from './session/session.config';
import { ticketConfig } from './ticket/ticket.config';
import { userConfig } from './user/user.config';
import { wechatConfig } from './wechat/wechat.config';

/** Every feature's configuration slice, by its property in AppConfig. */
const SLICES = {
  database: databaseConfig,
  jwt: jwtConfig,
  password: passwordConfig,
  revocation: revocationConfig,
  session: sessionConfig,
  loginThrottle: loginThrottleConfig,
  limits: limitsConfig,
  user: userConfig,
  ticket: ticketConfig,
  wechat: wechatConfig,
  apiV2: apiV2Config,
  metrics: metricsConfig,
};

/** The whole configuration: the core's settings (`port`, `bodyLimitBytes`, ...) and one property per slice. */
export type AppConfig = ComposedConfig<typeof SLICES>;

/** Reads and validates the environment once; nothing else in the app reads process.env. */
export function loadConfig(env: Env = process.env): AppConfig {
  return loadSlices(SLICES, env);
}

/** Each slice under its own token (and the core under CORE_CONFIG), for the application module to provide. */
export function configProviders(config: AppConfig): ValueProvider[] {
  return sliceProviders(SLICES, config);
}
