import { configSlice } from '../config/config-slice';
import { ConfigError, isWeakSecret } from '../config/env-reader';

/** The administrator created at first start, and self-registration. */
export interface UserConfig {
  adminUsername: string;
  adminPassword?: string;
  registrationEnabled: boolean;
  /** The role a self-registered user gets. */
  defaultRoleKey: string;
}

export const userConfig = configSlice<UserConfig>('user', (read, core) => {
  const adminPassword = read.optionalString('ADMIN_PASSWORD');
  if (core.nodeEnv === 'production' && adminPassword !== undefined && isWeakSecret(adminPassword, 12)) {
    throw new ConfigError('ADMIN_PASSWORD', 'is too weak for production (at least 12 characters, not a placeholder)');
  }
  return {
    adminUsername: read.string('ADMIN_USERNAME', 'admin'),
    adminPassword,
    registrationEnabled: read.boolean('REGISTRATION_ENABLED', true),
    defaultRoleKey: read.string('DEFAULT_ROLE_KEY', 'common'),
  };
});
