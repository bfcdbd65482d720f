import { Injectable, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { unauthorized } from './auth-problems.js';
import { IS_PUBLIC } from './decorators.js';
import type { Principal } from './principal.js';

// passport-jwt reports a missing header with this exact message.
const NO_TOKEN = 'No auth token';

/** Global guard: every route needs a valid bearer token unless it is marked `@Public()`. */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  constructor(private readonly reflector: Reflector) {
    super();
  }

  override canActivate(context: ExecutionContext) {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    return isPublic ? true : super.canActivate(context);
  }

  override handleRequest<T = Principal>(error: unknown, principal: T | false, info: unknown): T {
    if (principal && !error) return principal;
    const reason = error ?? info;
    const message = reason instanceof Error ? reason.message : 'invalid token';
    if (message === NO_TOKEN) throw unauthorized('a bearer token is required', false);
    throw unauthorized(message, true);
  }
}
