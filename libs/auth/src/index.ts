export { AUTH_OPTIONS, type AuthOptions, type KeySource } from './auth-options.js';
export { AuthModule } from './auth.module.js';
export { CurrentPrincipal, IS_PUBLIC, Public, REQUIRED_ROLES, Roles } from './decorators.js';
export { signDevToken, type DevTokenClaims } from './dev-token.js';
export { JwtAuthGuard } from './jwt-auth.guard.js';
export { rolesFrom, type Principal } from './principal.js';
export { RolesGuard } from './roles.guard.js';
